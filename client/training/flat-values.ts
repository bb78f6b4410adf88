// Packs the values of a list of tensors into one Float32Array and back (same order and shapes on both ends).
import * as tf from "@tensorflow/tfjs";

export function flatLength(tensors: readonly tf.Tensor[]): number {
  return tensors.reduce((n, t) => n + t.size, 0);
}

/** Concatenates the tensors' values in tfjs's own (row-major) layout. */
export function readFlat(tensors: readonly tf.Tensor[]): Float32Array {
  const out = new Float32Array(flatLength(tensors));
  let offset = 0;
  for (const t of tensors) {
    out.set(t.dataSync(), offset);
    offset += t.size;
  }
  return out;
}

/** Assigns consecutive slices of `flat` to the variables; the length must match exactly. */
export function writeFlat(variables: readonly tf.Variable[], flat: Float32Array): void {
  if (flat.length !== flatLength(variables)) {
    throw new RangeError(
      `flat vector has ${flat.length} values for variables holding ${flatLength(variables)}`,
    );
  }
  let offset = 0;
  for (const v of variables) {
    tf.tidy(() => v.assign(tf.tensor(flat.subarray(offset, offset + v.size), v.shape, "float32")));
    offset += v.size;
  }
}

/** Splits `flat` into new tensors shaped like `like`. */
export function tensorsFromFlat(flat: Float32Array, like: readonly tf.Tensor[]): tf.Tensor[] {
  let offset = 0;
  return like.map((t) => {
    const out = tf.tensor(flat.subarray(offset, offset + t.size), t.shape, "float32");
    offset += t.size;
    return out;
  });
}
