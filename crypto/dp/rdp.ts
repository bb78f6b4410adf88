// Rényi DP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar & Zhang 2019), ported from dp_accounting's rdp_privacy_accountant.
import { ParameterError } from "../errors.ts";
import { logAdd, logBinomial, logErfc, logSub } from "./numeric.ts";

/** Terms below e^−30 no longer change log A_α at double precision (dp_accounting's stopping rule). */
const NEGLIGIBLE_LOG_TERM = -30;
const MAX_SERIES_TERMS = 100_000;

/**
 * log A_α for integer α, 0 < q < 1 (Mironov, Talwar & Zhang 2019, §3.3, eq. for integer α):
 * A_α = Σ_{i=0}^{α} C(α, i) (1−q)^{α−i} q^i exp((i² − i) / (2σ²)). dp_accounting `_compute_log_a_int`.
 */
export function computeLogAInt(q: number, sigma: number, alpha: number): number {
  let logA = -Infinity;
  const logQ = Math.log(q);
  const log1MinusQ = Math.log1p(-q);
  for (let i = 0; i <= alpha; i++) {
    const logCoef = logBinomial(alpha, i) + i * logQ + (alpha - i) * log1MinusQ;
    logA = logAdd(logA, logCoef + (i * i - i) / (2 * sigma * sigma));
  }
  return logA;
}

/**
 * log A_α for fractional α, 0 < q < 1 (Mironov, Talwar & Zhang 2019, §3.3): the integral split at
 * z0 = σ² log(1/q − 1) + 1/2 and expanded as two binomial series with Gaussian tail factors.
 * dp_accounting `_compute_log_a_frac`.
 */
export function computeLogAFrac(q: number, sigma: number, alpha: number): number {
  let logA0 = -Infinity;
  let logA1 = -Infinity;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1MinusQ = Math.log1p(-q);
  const sqrt2Sigma = Math.SQRT2 * sigma;
  // binom(α, i) by the recurrence C(α, i+1) = C(α, i)·(α − i)/(i + 1), scipy.special.binom for real α.
  let coef = 1;
  for (let i = 0; i < MAX_SERIES_TERMS; i++) {
    const logCoef = Math.log(Math.abs(coef));
    const j = alpha - i;
    const logT0 = logCoef + i * logQ + j * log1MinusQ;
    const logT1 = logCoef + j * logQ + i * log1MinusQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / sqrt2Sigma);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2Sigma);
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (coef > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < NEGLIGIBLE_LOG_TERM) return logAdd(logA0, logA1);
    coef = (coef * (alpha - i)) / (i + 1);
  }
  throw new ParameterError(`log A_α series did not converge (q=${q}, σ=${sigma}, α=${alpha})`);
}

/** RDP ε(α) of one step of the Poisson-subsampled Gaussian mechanism (dp_accounting `compute_one_order`). */
function rdpPoissonSubsampledGaussianAt(
  samplingRate: number,
  noiseMultiplier: number,
  order: number,
): number {
  if (samplingRate === 0) return 0;
  if (order === Infinity || noiseMultiplier === 0) return Infinity;
  if (samplingRate === 1) return order / (2 * noiseMultiplier * noiseMultiplier);
  const logA = Number.isInteger(order)
    ? computeLogAInt(samplingRate, noiseMultiplier, order)
    : computeLogAFrac(samplingRate, noiseMultiplier, order);
  return logA / (order - 1);
}

/** z = 0 is allowed (no noise, ε = ∞); negative or non-finite z is meaningless. */
export function checkNoiseMultiplier(noiseMultiplier: number): void {
  if (!(noiseMultiplier >= 0) || !Number.isFinite(noiseMultiplier))
    throw new ParameterError(`noise multiplier must be finite and ≥ 0, got ${noiseMultiplier}`);
}

/** Checks q ∈ [0, 1], z ≥ 0 and every order > 1 (α = 1 is the KL limit, which the series above does not cover). */
function checkGaussianParameters(
  samplingRate: number,
  noiseMultiplier: number,
  orders: readonly number[],
): void {
  if (!(samplingRate >= 0 && samplingRate <= 1))
    throw new ParameterError(`sampling rate must be in [0, 1], got ${samplingRate}`);
  checkNoiseMultiplier(noiseMultiplier);
  for (const order of orders) {
    if (!(order > 1)) throw new ParameterError(`RDP orders must be > 1, got ${order}`);
  }
}

/** RDP at every order of `steps` compositions of the Poisson-subsampled Gaussian (RDP composes additively). */
export function rdpPoissonSubsampledGaussian(
  samplingRate: number,
  noiseMultiplier: number,
  steps: number,
  orders: readonly number[],
): number[] {
  checkGaussianParameters(samplingRate, noiseMultiplier, orders);
  if (!(Number.isSafeInteger(steps) && steps >= 0))
    throw new ParameterError(`steps must be a non-negative integer, got ${steps}`);
  return orders.map((order) =>
    steps === 0 ? 0 : steps * rdpPoissonSubsampledGaussianAt(samplingRate, noiseMultiplier, order),
  );
}
