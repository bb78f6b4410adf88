// Shamir secret sharing (Shamir 1979) of 32-byte secrets over the prime field GF(2^255 − 19), via BigInt.
import { ParameterError } from "./errors.ts";
import type { Rng } from "./rng.ts";

/** p = 2^255 − 19, the Curve25519 prime (RFC 7748 §4.1); clamped X25519 scalars are elements of it. */
const P = (1n << 255n) - 19n;
const SHAMIR_SECRET_BYTES = 32;
export const SHAMIR_SHARE_BYTES = 32;

/** One share: the evaluation y = f(x) of the sharing polynomial at a public, non-zero x. */
export interface ShamirShare {
  readonly x: number;
  readonly y: Uint8Array;
}

function toBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
  return v;
}

function toBytes(v: bigint): Uint8Array {
  const out = new Uint8Array(SHAMIR_SHARE_BYTES);
  for (let i = 0; i < out.length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Whether 32 little-endian bytes encode an integer below p, i.e. a shareable secret. */
export function isFieldElement(bytes: Uint8Array): boolean {
  return bytes.length === SHAMIR_SECRET_BYTES && toBigInt(bytes) < P;
}

/** A uniform field element by rejection sampling (the acceptance rate is 1 − 2^−251). */
export function randomFieldElement(rng: Rng): Uint8Array {
  const b = new Uint8Array(SHAMIR_SECRET_BYTES);
  do {
    rng.fill(b);
    b[31] = (b[31] as number) & 0x7f;
  } while (toBigInt(b) >= P);
  return b;
}

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

/** a^−1 mod p for a ≠ 0 by the extended Euclidean algorithm (several times faster than a^(p−2) with BigInt). */
function invert(a: bigint): bigint {
  let [r0, r1] = [P, mod(a)];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return mod(t0);
}

function checkXs(xs: readonly number[]): void {
  const seen = new Set<number>();
  for (const x of xs) {
    if (!Number.isSafeInteger(x) || x < 1)
      throw new ParameterError(`shamir: share index must be a positive integer, got ${x}`);
    if (seen.has(x)) throw new ParameterError(`shamir: duplicate share index ${x}`);
    seen.add(x);
  }
}

/**
 * Splits `secret` into one share per x in `xs`; any `threshold` of them reconstruct it and fewer
 * reveal nothing (the polynomial's other t − 1 coefficients are uniform field elements).
 */
export function splitSecret(
  secret: Uint8Array,
  threshold: number,
  xs: readonly number[],
  rng: Rng,
): ShamirShare[] {
  if (!isFieldElement(secret))
    throw new ParameterError("shamir: secret must be 32 bytes encoding an integer below 2^255 − 19");
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > xs.length) {
    throw new ParameterError(`shamir: threshold must be in [1, ${xs.length}], got ${threshold}`);
  }
  checkXs(xs);
  const coefficients = [toBigInt(secret)];
  for (let i = 1; i < threshold; i++) {
    const coefficient = randomFieldElement(rng);
    coefficients.push(toBigInt(coefficient));
    coefficient.fill(0); // the BigInt copies cannot be zeroed; the bytes at least can
  }
  return xs.map((x) => {
    const bx = BigInt(x);
    let y = 0n;
    for (let i = coefficients.length - 1; i >= 0; i--) y = (y * bx + (coefficients[i] as bigint)) % P; // Horner
    return { x, y: toBytes(y) };
  });
}

/**
 * Lagrange interpolation at 0 from the first `threshold` shares. Fewer than `threshold`
 * distinct shares is refused: interpolating them would return a wrong secret, not an error.
 */
export function combineShares(shares: readonly ShamirShare[], threshold: number): Uint8Array {
  if (!Number.isSafeInteger(threshold) || threshold < 1)
    throw new ParameterError(`shamir: bad threshold ${threshold}`);
  if (shares.length < threshold) {
    throw new ParameterError(
      `shamir: ${shares.length} shares cannot reconstruct a threshold-${threshold} secret`,
    );
  }
  const used = shares.slice(0, threshold);
  checkXs(used.map((s) => s.x));
  const xs = used.map((s) => BigInt(s.x));
  const ys = used.map((s) => {
    if (!isFieldElement(s.y)) throw new ParameterError("shamir: share value is not a field element");
    return toBigInt(s.y);
  });
  // λ_i = Π_{j≠i} x_j / (x_j − x_i); one inversion of the product of all denominators (Montgomery's trick).
  const nums: bigint[] = [];
  const dens: bigint[] = [];
  for (let i = 0; i < xs.length; i++) {
    let num = 1n;
    let den = 1n;
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      num = (num * (xs[j] as bigint)) % P;
      den = mod(den * ((xs[j] as bigint) - (xs[i] as bigint)));
    }
    nums.push(num);
    dens.push(den);
  }
  const prefix: bigint[] = [];
  let acc = 1n;
  for (const d of dens) {
    prefix.push(acc);
    acc = (acc * d) % P;
  }
  let inv = invert(acc);
  let secret = 0n;
  for (let i = xs.length - 1; i >= 0; i--) {
    const denInv = (inv * (prefix[i] as bigint)) % P;
    inv = (inv * (dens[i] as bigint)) % P;
    secret = (secret + (((ys[i] as bigint) * (nums[i] as bigint)) % P) * denInv) % P;
  }
  return toBytes(secret);
}
