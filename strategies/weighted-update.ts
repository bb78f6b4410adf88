// The protected weighted update [w·Δ, w]: built by a site, unpacked by the coordinator (or by the sites in he mode).
import type { WeightedSum } from "./types.ts";

/**
 * Weights travel as w_k = min(n_k, MAX_EXAMPLES) / MAX_EXAMPLES ∈ (0, 1]. The fixed-point codec's step is
 * clipRange·n/2^31, and the error of Σw·Δ/Σw grows as 1/Σw, so the cap is kept near real site sizes
 * (a site with more examples weighs as one with MAX_EXAMPLES).
 */
export const MAX_EXAMPLES = 4096;

/**
 * [w·Δ_1 … w·Δ_d, w] with w = min(n_k, maxExamples) / maxExamples, or w = 1 when `numExamples` is 0 (under
 * client-level DP every site weighs 1, so the sum's sensitivity stays the clip norm). Both sums travel in
 * one protected vector, so the coordinator learns Σ n_k·Δ_k and Σ n_k only (ARCHITECTURE.md, weights stay
 * private). The caller zeroes the result when done: it is as sensitive as the records it came from.
 */
export function encodeWeightedUpdate(
  delta: Float32Array,
  numExamples: number,
  maxExamples = MAX_EXAMPLES,
): Float32Array {
  const weight = updateWeight(numExamples, maxExamples);
  const out = new Float32Array(delta.length + 1);
  for (let i = 0; i < delta.length; i++) out[i] = weight * (delta[i] ?? 0);
  out[delta.length] = weight;
  return out;
}

/** A site's weight w in [w·Δ, w] (see encodeWeightedUpdate). */
export function updateWeight(numExamples: number, maxExamples = MAX_EXAMPLES): number {
  return numExamples > 0 ? Math.min(numExamples, maxExamples) / maxExamples : 1;
}

/** Σ w·Δ and Σ w from a decoded sum of protected vectors [Σw·Δ_1 … Σw·Δ_d, Σw]. */
export function decodeWeightedSum(decoded: Float32Array | Float64Array, contributors: number): WeightedSum {
  const d = decoded.length - 1;
  const totalWeight = decoded[d] ?? 0;
  return { weightedSum: Float32Array.from(decoded.subarray(0, d)), totalWeight, contributors };
}
