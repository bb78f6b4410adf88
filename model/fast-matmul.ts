// Matrix products with hand-written gradients that keep tfjs-wasm on its fast kernels.
//
// Measured on tfjs-wasm 4.22 (SIMD, one thread): a plain 2-D matMul runs in XNNPACK at 20–27 GFLOP/s,
// but with transposeA/transposeB set — which tfjs's own matMul gradient uses — it drops to 0.6–2
// GFLOP/s. These ops transpose explicitly and multiply plainly. Batched (rank-3) products run a naive
// loop at ~2.2 GFLOP/s whatever the flags; batchMatMulByConv computes them with XNNPACK's depthwise
// convolution instead (3.5–4.5× faster on attention shapes). Cutting batches into 2-D products was no
// faster overall: every wasm Slice first copies its whole input, and each gather costs ~0.1 ms.
import * as tf from "@tensorflow/tfjs";

type CustomArgs = (tf.Tensor | tf.GradSaveFunc)[];

/**
 * x [N, in] · w [in, out] with w frozen: only x gets a gradient, through wᵀ, which `transposeOfW`
 * supplies (typically from a cache) only when a backward pass runs. w must outlive the backward pass
 * (a weight, not an intermediate), since it is captured rather than saved.
 */
export function frozenLinear(x: tf.Tensor2D, w: tf.Tensor2D, transposeOfW: () => tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc) => ({
    value: tf.matMul(input as tf.Tensor2D, w),
    gradFunc: (dy: tf.Tensor) => tf.matMul(dy, transposeOfW()),
  }));
  return op(x) as tf.Tensor2D;
}

/** x [N, in] · w [in, out] with gradients for both. */
export const trainableLinear = tf.customGrad((...args: CustomArgs) => {
  const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** x [N, in] · w [in, out] where x is a constant (e.g. one-hot token rows): only w gets a gradient. */
export function weightOnlyLinear(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: CustomArgs) => {
    const [weight, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    // x is not an input, so it must be saved explicitly to outlive the forward pass's tidy.
    save([x]);
    return {
      value: tf.matMul(x, weight),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.matMul(tf.transpose(saved[0] as tf.Tensor2D), dy),
    };
  });
  return op(w) as tf.Tensor2D;
}

/**
 * a [n, M, K] · b [n, K, N] as one depthwise convolution: channel i holds slice i, the filter spans
 * the K axis and the channel multiplier is N, so out[h, 0, i·N + j] = Σₖ a[i, h, k] · b[i, k, j].
 */
function depthwiseProduct(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [count, rows, inner] = a.shape;
  const columns = b.shape[2];
  const input = tf.reshape<tf.Rank.R4>(tf.transpose(a, [1, 2, 0]), [1, rows, inner, count]);
  const filter = tf.reshape<tf.Rank.R4>(tf.transpose(b, [1, 0, 2]), [1, inner, count, columns]);
  const out = tf.depthwiseConv2d(input, filter, 1, "valid");
  return tf.transpose(tf.reshape<tf.Rank.R3>(out, [rows, count, columns]), [1, 0, 2]);
}

/** a [n, M, K] · b [n, K, N] → [n, M, N], forward and backward as depthwise convolutions. */
export const batchMatMulByConv = tf.customGrad((...args: CustomArgs) => {
  const [a, b, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: depthwiseProduct(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, bs] = saved as [tf.Tensor3D, tf.Tensor3D];
      const dy3 = dy as tf.Tensor3D;
      return [
        depthwiseProduct(dy3, tf.transpose(bs, [0, 2, 1])),
        depthwiseProduct(tf.transpose(as, [0, 2, 1]), dy3),
      ];
    },
  };
}) as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/** The faster batched product on the current backend: the depthwise form on tfjs-wasm, matMul elsewhere. */
export function batchedProductForBackend(): (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D {
  return tf.getBackend() === "wasm" ? batchMatMulByConv : (a, b) => tf.matMul(a, b);
}
