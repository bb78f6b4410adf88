// The hand-written products and gradients of fast-matmul.ts against tfjs's own matMul and its gradients.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { batchMatMulByConv, frozenLinear, trainableLinear } from "../../model/fast-matmul.ts";
import { maxAbsDifference, startBackend } from "./helpers.ts";

function values(tensor: tf.Tensor): Float32Array {
  return tensor.dataSync() as Float32Array;
}

describe("fast matrix products", () => {
  beforeAll(startBackend);

  it("batchMatMulByConv equals tf.matMul, with the same gradients", () => {
    const before = tf.memory().numTensors;
    const a = tf.randomNormal<tf.Rank.R3>([3, 5, 4], 0, 1, "float32", 1);
    const b = tf.randomNormal<tf.Rank.R3>([3, 4, 6], 0, 1, "float32", 2);
    const probe = tf.randomNormal<tf.Rank.R3>([3, 5, 6], 0, 1, "float32", 3);
    const loss = (product: typeof batchMatMulByConv) => (x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.mul(product(x as tf.Tensor3D, y as tf.Tensor3D), probe));
    const expected = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
    const actual = tf.grads(loss(batchMatMulByConv))([a, b]);
    const product = tf.tidy(() => values(batchMatMulByConv(a, b)));
    expect(
      maxAbsDifference(
        product,
        tf.tidy(() => values(tf.matMul(a, b))),
      ),
    ).toBeLessThan(1e-5);
    expect(maxAbsDifference(values(actual[0] as tf.Tensor), values(expected[0] as tf.Tensor))).toBeLessThan(
      1e-5,
    );
    expect(maxAbsDifference(values(actual[1] as tf.Tensor), values(expected[1] as tf.Tensor))).toBeLessThan(
      1e-5,
    );
    tf.dispose([a, b, probe, ...expected, ...actual]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("frozenLinear and trainableLinear have tfjs's matMul gradients", () => {
    const x = tf.randomNormal<tf.Rank.R2>([7, 5], 0, 1, "float32", 4);
    const w = tf.randomNormal<tf.Rank.R2>([5, 3], 0, 1, "float32", 5);
    const wT = tf.transpose(w);
    const probe = tf.randomNormal<tf.Rank.R2>([7, 3], 0, 1, "float32", 6);
    const [dxRef, dwRef] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
      tf.sum(tf.mul(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D), probe)),
    )([x, w]);
    const [dx, dw] = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
      tf.sum(tf.mul(trainableLinear(p as tf.Tensor2D, q as tf.Tensor2D), probe)),
    )([x, w]);
    const dxFrozen = tf.grad((p: tf.Tensor) =>
      tf.sum(
        tf.mul(
          frozenLinear(p as tf.Tensor2D, w, () => wT),
          probe,
        ),
      ),
    )(x);
    for (const [got, want] of [
      [dx, dxRef],
      [dw, dwRef],
      [dxFrozen, dxRef],
    ] as const) {
      expect(maxAbsDifference(values(got as tf.Tensor), values(want as tf.Tensor))).toBeLessThan(1e-5);
    }
    tf.dispose([x, w, wT, probe, dxRef, dwRef, dx, dw, dxFrozen] as tf.Tensor[]);
  });
});
