// Rotary position tables (RoPE) and the causal mask for one sequence length, in the layout LLaMA attention uses.
import * as tf from "@tensorflow/tfjs";
import type { LlamaConfig } from "./config.ts";

export interface PositionTables {
  /** [T, heads·d] multipliers of x and of rotate_half(x); the query tables carry the 1/√d scale. */
  readonly queryCos: tf.Tensor2D;
  readonly querySin: tf.Tensor2D;
  readonly keyCos: tf.Tensor2D;
  readonly keySin: tf.Tensor2D;
  /** [g·T, T] additive causal mask in the grouped-query layout (g query heads per kv head). */
  readonly mask: tf.Tensor2D;
}

// exp(-1e9 + s) underflows to exactly 0 in float32, and unlike -Infinity it never yields NaN.
const MASKED = -1e9;

/** The tables for `length` positions; the tensors are kept (tf.keep) and the caller disposes of them. */
export function buildPositionTables(c: LlamaConfig, length: number): PositionTables {
  const d = c.headDim;
  const half = d / 2;
  // transformers' LlamaRotaryEmbedding: inv_freq = 1/θ^(2i/d) and angles in float32, emb = cat(freqs, freqs).
  const inverseFrequency = Array.from({ length: half }, (_, i) =>
    Math.fround(1 / Math.fround(c.ropeTheta ** Math.fround((2 * i) / d))),
  );
  const table = (heads: number, scale: number): [tf.Tensor2D, tf.Tensor2D] => {
    const cos = new Float32Array(length * heads * d);
    const sin = new Float32Array(length * heads * d);
    for (let t = 0; t < length; t++) {
      for (let j = 0; j < d; j++) {
        const angle = Math.fround(t * (inverseFrequency[j % half] ?? 0));
        const cosValue = Math.fround(Math.cos(angle)) * scale;
        const sinValue = Math.fround(Math.sin(angle)) * scale;
        for (let h = 0; h < heads; h++) {
          cos[(t * heads + h) * d + j] = cosValue;
          sin[(t * heads + h) * d + j] = sinValue;
        }
      }
    }
    return [tf.keep(tf.tensor2d(cos, [length, heads * d])), tf.keep(tf.tensor2d(sin, [length, heads * d]))];
  };
  const group = c.numHeads / c.numKvHeads;
  const mask = new Float32Array(group * length * length);
  for (let row = 0; row < group * length; row++) {
    for (let s = (row % length) + 1; s < length; s++) mask[row * length + s] = MASKED;
  }
  const [queryCos, querySin] = table(c.numHeads, 1 / Math.sqrt(d));
  const [keyCos, keySin] = table(c.numKvHeads, 1);
  return {
    queryCos,
    querySin,
    keyCos,
    keySin,
    mask: tf.keep(tf.tensor2d(mask, [group * length, length])),
  };
}
