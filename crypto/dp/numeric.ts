// Log-space arithmetic and special functions (log Γ, log erfc, binomials) that the RDP accountant needs in double precision.

/** log(exp(x) + exp(y)) without overflow; −∞ stands for 0 (dp_accounting `_log_add`). */
export function logAdd(logX: number, logY: number): number {
  const a = Math.min(logX, logY);
  const b = Math.max(logX, logY);
  if (a === -Infinity) return b;
  // exp(a) + exp(b) = (exp(a − b) + 1)·exp(b)
  return Math.log1p(Math.exp(a - b)) + b;
}

/** log(exp(x) − exp(y)); the difference must be non-negative (dp_accounting `_log_sub`). */
export function logSub(logX: number, logY: number): number {
  if (logX < logY) throw new RangeError("logSub: the result of the subtraction must be non-negative");
  if (logY === -Infinity) return logX;
  if (logX === logY) return -Infinity;
  const diff = Math.expm1(logX - logY);
  // Python's math.expm1 raises OverflowError here and dp_accounting then returns logX.
  if (!Number.isFinite(diff)) return logX;
  return Math.log(diff) + logY;
}

// Lanczos approximation, g = 7, n = 9 (Numerical Recipes 3rd ed. §6.1; Godfrey's coefficients):
// relative error below 1e-15 for x ≥ 0.5, ample for the accountant's 1e-4 targets.
const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** log Γ(x) for x ≥ 0.5. */
export function logGamma(x: number): number {
  if (!(x >= 0.5)) throw new RangeError(`logGamma: x must be ≥ 0.5, got ${x}`);
  const z = x - 1;
  let sum = LANCZOS_COEFFICIENTS[0] ?? 0;
  for (let i = 1; i < LANCZOS_COEFFICIENTS.length; i++) sum += (LANCZOS_COEFFICIENTS[i] ?? 0) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** log C(n, k) = log Γ(n+1) − log Γ(k+1) − log Γ(n−k+1) (dp_accounting `_log_comb`). */
export function logBinomial(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;
const LOG_GAMMA_HALF = 0.5 * Math.log(Math.PI);

/** P(1/2, x) by its power series (Numerical Recipes 3rd ed. §6.2 `gser`), for x < 1.5. */
function lowerRegularizedGammaHalf(x: number): number {
  if (x === 0) return 0;
  const a = 0.5;
  let ap = a;
  let del = 1 / a;
  let sum = del;
  for (let n = 0; n < MAX_ITERATIONS; n++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - LOG_GAMMA_HALF);
}

/** log Q(1/2, x) by its continued fraction (Numerical Recipes 3rd ed. §6.2 `gcf`, modified Lentz), for x ≥ 1.5. */
function logUpperRegularizedGammaHalf(x: number): number {
  const a = 0.5;
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return -x + a * Math.log(x) - LOG_GAMMA_HALF + Math.log(h);
}

/**
 * log erfc(x), accurate far into the upper tail where erfc underflows (dp_accounting `_log_erfc`
 * uses scipy's log_ndtr for the same reason). erfc(x) = Q(1/2, x²) for x ≥ 0 (Abramowitz & Stegun 7.1.2, 6.5.17).
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) {
    // erfc(x) = 2 − erfc(−x) ∈ (1, 2]: no cancellation.
    return Math.log(2 - Math.exp(logErfc(-x)));
  }
  const x2 = x * x;
  if (x2 < 1.5) return Math.log(1 - lowerRegularizedGammaHalf(x2));
  return logUpperRegularizedGammaHalf(x2);
}
