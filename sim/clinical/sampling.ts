// Sampling helpers over an injected Rng: uniform picks, normal, gamma and Dirichlet draws, shuffles.
import type { Rng } from "../../crypto/rng.ts";

/** A uniform float in [lo, hi). */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng.nextFloat64();
}

/** A uniform integer in [lo, hi] (both ends included). */
export function intBetween(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng.nextFloat64() * (hi - lo + 1));
}

/** True with probability p. */
export function chance(rng: Rng, p: number): boolean {
  return rng.nextFloat64() < p;
}

/** One uniformly chosen element of a non-empty array. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError("pick: empty array");
  return items[Math.floor(rng.nextFloat64() * items.length)] as T;
}

/** An index drawn with probability proportional to `weights` (non-negative, positive sum). */
export function weightedIndex(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  if (!(total > 0)) throw new RangeError("weightedIndex: weights must have a positive sum");
  let u = rng.nextFloat64() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] ?? 0;
    if (u < 0) return i;
  }
  // Floating-point rounding can leave u at ~0 after the last weight: return the last positive one.
  for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] ?? 0) > 0) return i;
  return weights.length - 1;
}

/** A Fisher–Yates shuffled copy. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.nextFloat64() * (i + 1));
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}

/** `k` distinct elements in random order (k ≤ length). */
export function sample<T>(rng: Rng, items: readonly T[], k: number): T[] {
  return shuffled(rng, items).slice(0, Math.min(k, items.length));
}

/** A standard normal draw (Box–Muller; 1 − u keeps the logarithm finite). */
export function standardNormal(rng: Rng): number {
  const u = 1 - rng.nextFloat64();
  const v = rng.nextFloat64();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A Gamma(shape, 1) draw: Marsaglia & Tsang, "A simple method for generating gamma variables",
 * ACM TOMS 26(3), 2000; for shape < 1 the boost Gamma(a) = Gamma(a + 1) · U^(1/a) from §6.
 */
export function gamma(rng: Rng, shape: number): number {
  if (!(shape > 0)) throw new RangeError(`gamma: shape must be > 0, got ${shape}`);
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(1 - rng.nextFloat64(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.nextFloat64();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** A Dirichlet(alpha) draw as normalised Gamma variates; a tiny floor keeps every entry positive. */
export function dirichlet(rng: Rng, alpha: readonly number[]): number[] {
  const draws = alpha.map((a) => Math.max(gamma(rng, a), 1e-300));
  const total = draws.reduce((s, x) => s + x, 0);
  return draws.map((x) => x / total);
}
