// L2 clipping of a model update: the sensitivity bound that every Gaussian-mechanism guarantee in crypto/dp assumes.
import { ParameterError } from "../errors.ts";

/** Euclidean norm, accumulated in float64 so that a million float32 entries lose no precision. */
export function l2Norm(vector: Float32Array | Float64Array): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i] ?? 0;
    sum += v * v;
  }
  return Math.sqrt(sum);
}

/** C bounds the sensitivity, so it must be a positive finite number. */
export function checkClipNorm(clipNorm: number): void {
  if (!(clipNorm > 0) || !Number.isFinite(clipNorm))
    throw new ParameterError(`clip norm must be finite and > 0, got ${clipNorm}`);
}

export interface ClipResult {
  /** A new array; the input is never modified. */
  readonly clipped: Float32Array;
  /** The norm before clipping. */
  readonly norm: number;
  /** The factor applied: min(1, clipNorm / norm). */
  readonly factor: number;
}

/**
 * Scales `update` by min(1, C/‖update‖₂) (Abadi et al., CCS 2016, Alg. 1; McMahan et al., ICLR 2018, for
 * client-level clipping). Float32 rounding can push the result's norm a hair above C, so the factor is
 * nudged down by 2⁻²⁰ relative when clipping, keeping ‖clipped‖₂ ≤ C in float32 arithmetic.
 */
export function clipL2(update: Float32Array, clipNorm: number): ClipResult {
  checkClipNorm(clipNorm);
  const norm = l2Norm(update);
  if (!Number.isFinite(norm)) throw new ParameterError("update contains a non-finite value");
  const factor = norm > clipNorm ? (clipNorm / norm) * (1 - 2 ** -20) : 1;
  const clipped = new Float32Array(update.length);
  for (let i = 0; i < update.length; i++) clipped[i] = (update[i] ?? 0) * factor;
  return { clipped, norm, factor };
}
