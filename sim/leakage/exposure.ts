// Canary exposure (Carlini, Liu, Erlingsson, Kos & Song, "The Secret Sharer", USENIX Security 2019, §4):
// how far up a model ranks a planted secret among every candidate of the same format. Pure arithmetic.
import { logErfc } from "../../crypto/dp/numeric.ts";

/**
 * Rank of the secret among the candidates by log-likelihood, 1 = most likely. Candidates with a
 * strictly higher log-likelihood come first; a tie is resolved in the secret's favour (the attacker's
 * best case), so the rank is 1 + #{c : ll(c) > ll(secret)}. `candidates` may or may not include the secret.
 */
export function secretRank(secretLogLikelihood: number, candidateLogLikelihoods: Iterable<number>): number {
  if (Number.isNaN(secretLogLikelihood)) throw new RangeError("the secret's log-likelihood is NaN");
  let above = 0;
  for (const ll of candidateLogLikelihoods) if (ll > secretLogLikelihood) above++;
  return 1 + above;
}

/** Exposure = log₂|R| − log₂ rank (Carlini et al. 2019, Definition 4): 0 for the least likely, log₂|R| for the most. */
export function exposureFromRank(rank: number, candidateCount: number): number {
  if (!Number.isInteger(candidateCount) || candidateCount < 1)
    throw new RangeError(`candidateCount must be a positive integer, got ${candidateCount}`);
  if (!Number.isInteger(rank) || rank < 1 || rank > candidateCount)
    throw new RangeError(`rank must be an integer in [1, ${candidateCount}], got ${rank}`);
  return Math.log2(candidateCount) - Math.log2(rank);
}

/** A skew-normal distribution (location ξ, scale ω, shape α), fitted by the method of moments. */
export interface SkewNormal {
  readonly location: number;
  readonly scale: number;
  readonly shape: number;
}

// The largest sample skewness a skew-normal can have is ≈ 0.9953; clamp just inside it.
const MAX_SKEWNESS = 0.99;

/** Method-of-moments fit (Azzalini 1985): δ from the sample skewness, then ω and ξ from the variance and mean. */
export function fitSkewNormal(samples: readonly number[]): SkewNormal {
  const n = samples.length;
  if (n < 3) throw new RangeError(`a skew-normal fit needs at least 3 samples, got ${n}`);
  const mean = samples.reduce((s, x) => s + x, 0) / n;
  let m2 = 0;
  let m3 = 0;
  for (const x of samples) {
    const d = x - mean;
    m2 += d * d;
    m3 += d * d * d;
  }
  m2 /= n;
  m3 /= n;
  if (!(m2 > 0)) throw new RangeError("a skew-normal fit needs samples that are not all equal");
  const skew = Math.max(-MAX_SKEWNESS, Math.min(MAX_SKEWNESS, m3 / m2 ** 1.5));
  const g = Math.abs(skew) ** (2 / 3);
  const delta = Math.sign(skew) * Math.sqrt((Math.PI / 2) * (g / (g + ((4 - Math.PI) / 2) ** (2 / 3))));
  const scale = Math.sqrt(m2 / (1 - (2 * delta * delta) / Math.PI));
  return {
    location: mean - scale * delta * Math.sqrt(2 / Math.PI),
    scale,
    shape: delta / Math.sqrt(1 - delta * delta),
  };
}

/** Owen's T(h, a) = (1/2π) ∫₀ᵃ exp(−h²(1+x²)/2) / (1+x²) dx, by composite Simpson's rule (smooth integrand). */
function owensT(h: number, a: number): number {
  const steps = 400;
  const f = (x: number): number => Math.exp((-h * h * (1 + x * x)) / 2) / (1 + x * x);
  const width = a / steps;
  let sum = f(0) + f(a);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * f(i * width);
  return (sum * width) / 3 / (2 * Math.PI);
}

/** Pr[X ≤ x] for X skew-normal: Φ(z) − 2·T(z, α), z = (x − ξ)/ω. */
export function skewNormalCdf(dist: SkewNormal, x: number): number {
  const z = (x - dist.location) / dist.scale;
  const phi = 0.5 * Math.exp(logErfc(-z / Math.SQRT2));
  return Math.min(1, Math.max(0, phi - 2 * owensT(z, dist.shape)));
}

/**
 * Exposure estimated from a sample of candidates when the space is too large to enumerate
 * (Carlini et al. 2019, §4.3): fit a skew-normal to the sampled candidates' log-perplexities
 * (−log-likelihood) and take −log₂ Pr[log-perplexity ≤ the secret's]. Capped to [0, log₂|R|]:
 * a fitted tail can promise more than the space holds.
 */
export function extrapolatedExposure(
  secretLogLikelihood: number,
  sampledLogLikelihoods: readonly number[],
  candidateCount: number,
): number {
  const fit = fitSkewNormal(sampledLogLikelihoods.map((ll) => -ll));
  const below = skewNormalCdf(fit, -secretLogLikelihood);
  const ceiling = Math.log2(candidateCount);
  return below <= 0 ? ceiling : Math.max(0, Math.min(ceiling, -Math.log2(below)));
}
