// t-of-n key sharing for threshold CKKS: each holder Shamir-shares its s_i coefficient-wise mod q; a holder's key share is the sum of what it received; any t weigh theirs by Lagrange coefficients.
//
// Shamir (1979) over the field Z_q, applied to each of the N coefficients of s_i (in NTT form: the sharing
// is linear, so shares of NTT(s_i) are NTT of shares of s_i). Holder i draws f_i(X) = s_i + r_1·X + … +
// r_{t−1}·X^{t−1} with uniform polynomial coefficients r_k and sends f_i(x_j) to holder j. Holder j's key
// share is F(x_j) = Σ_i f_i(x_j), a point on F with F(0) = Σ_i s_i = s, the collective secret; any t points
// give s = Σ_j λ_j·F(x_j), and t − 1 points are uniformly distributed whatever s is (Mouchet et al. 2021,
// t-out-of-N variant; Asharov et al., EUROCRYPT 2012, for the threshold decryption shape).
import { ParameterError } from "../errors.ts";
import type { Rng } from "../rng.ts";
import { powMod, type Poly } from "./modular.ts";
import { uniformPoly } from "./sampling.ts";
import type { PolyTools } from "./threshold-params.ts";

/** One holder's evaluation point: a positive integer, distinct per holder (e.g. its roster position + 1). */
export type HolderIndex = number;

export interface SecretKeyShare {
  readonly x: HolderIndex;
  /** f_i(x) in NTT form. Secret: sealed to holder x, zeroed after use. */
  readonly share: Poly;
}

function checkIndices(xs: readonly HolderIndex[], q: bigint): void {
  const seen = new Set<number>();
  for (const x of xs) {
    if (!Number.isSafeInteger(x) || x < 1 || BigInt(x) >= q)
      throw new ParameterError(`holder index must be a positive integer below q, got ${x}`);
    if (seen.has(x)) throw new ParameterError(`duplicate holder index ${x}`);
    seen.add(x);
  }
}

/** Shares s_i among the holders `xs` so that any `threshold` of them reconstruct it. */
export function splitSecretKey(
  tools: PolyTools,
  secretKey: Poly,
  threshold: number,
  xs: readonly HolderIndex[],
  rng: Rng,
): SecretKeyShare[] {
  const { modulus } = tools;
  checkIndices(xs, modulus.value);
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > xs.length)
    throw new ParameterError(`threshold must be in [1, ${xs.length}], got ${threshold}`);
  const coefficients = [secretKey];
  for (let k = 1; k < threshold; k++) coefficients.push(uniformPoly(tools, rng));
  const shares = xs.map((x) => {
    // Horner: ((r_{t−1}·x + r_{t−2})·x + …)·x + s_i.
    const y = Uint32Array.from(coefficients[threshold - 1] as Poly);
    for (let k = threshold - 2; k >= 0; k--) {
      modulus.mulScalar(y, y, BigInt(x));
      modulus.addPoly(y, y, coefficients[k] as Poly);
    }
    return { x, share: y };
  });
  for (const r of coefficients.slice(1)) r.fill(0);
  return shares;
}

/** A holder's key share F(x_j): the sum of the shares it received from every holder (its own included). */
export function combineReceivedShares(tools: PolyTools, received: readonly Poly[]): Poly {
  if (received.length === 0) throw new ParameterError("no key shares received");
  const sum = tools.modulus.zeroPoly();
  for (const share of received) tools.modulus.addPoly(sum, sum, share);
  return sum;
}

/** λ_x = Π_{k ∈ T, k ≠ x} x_k / (x_k − x) mod q: the weight of holder x's share in the interpolation at 0 over T. */
export function lagrangeWeightAtZero(
  q: bigint,
  participants: readonly HolderIndex[],
  x: HolderIndex,
): bigint {
  checkIndices(participants, q);
  if (!participants.includes(x)) throw new ParameterError(`holder ${x} is not among the participants`);
  let numerator = 1n;
  let denominator = 1n;
  for (const k of participants) {
    if (k === x) continue;
    numerator = (numerator * BigInt(k)) % q;
    denominator = (((denominator * (BigInt(k) - BigInt(x))) % q) + q) % q;
  }
  return (numerator * powMod(denominator, q - 2n, q)) % q;
}
