// CKKS parameters for encrypted sums: the default set, its capacity (largest safe value) and its expected error.
import { createHash } from "node:crypto";
import { ParameterError } from "../errors.ts";

export type CkksCompression = "none" | "zlib" | "zstd";

export interface CkksParams {
  /** N: a power of two; a ciphertext packs N/2 values. */
  readonly polyModulusDegree: number;
  /** Bit sizes of the coefficient-modulus primes. With more than one, SEAL keeps the last as the special prime. */
  readonly coeffModulusBits: readonly number[];
  /** log₂ Δ: values are encoded as round(Δ·x). */
  readonly scaleBits: number;
  /** The most vectors a sum may hold; sites refuse values that could overflow a sum of this many. */
  readonly maxSummands: number;
  /** SEAL's serialization compression for every ciphertext sent. */
  readonly compression: CkksCompression;
}

/**
 * Default set, chosen for sums of float32 updates:
 * - One 60-bit prime: no rescaling or key switching is needed for additions, and every extra prime
 *   would add 8 bytes per coefficient. Seeded symmetric ciphertexts then cost N·8 bytes per N/2 values:
 *   16 bytes per float, 4.0 bytes per byte of float32 update (the 4.5 target leaves room for headers).
 * - N = 4096 is the smallest degree whose 128-bit bound admits a 60-bit modulus (HE Standard, Albrecht et
 *   al. 2018: 109 bits at N = 4096, 54 at N = 2048; SEAL enforces it). More bits buy headroom and precision.
 * - Δ = 2^36 splits the modulus: |sum| < 2^(60−2−36) = 2^22 ≈ 4.2e6 (so ≤ 4096 per input with 1024
 *   summands), and a fresh ciphertext's error has standard deviation ≈ 2.1e-9 per value (see
 *   {@link expectedSumErrorStddev}) — over 10⁵ times below a typical clipped LoRA coordinate (1e-3).
 * - No compression: the coefficients of a seeded ciphertext are uniform modulo a 60-bit prime, so zstd
 *   and zlib save under 1% (bench/ckks.ts measures it) for their CPU time.
 */
export const DEFAULT_CKKS_PARAMS: CkksParams = Object.freeze({
  polyModulusDegree: 4096,
  coeffModulusBits: Object.freeze([60]),
  scaleBits: 36,
  maxSummands: 1024,
  compression: "none",
});

/** SEAL's default error distribution: standard deviation 3.2 (seal/util/globals.h, noise_standard_deviation). */
const SEAL_NOISE_STDDEV = 3.2;

/** Bits of the modulus that carry data: all primes but the special one (a lone prime is its own data level). */
export function dataModulusBits(params: CkksParams): number {
  const bits = params.coeffModulusBits;
  const used = bits.length > 1 ? bits.slice(0, -1) : bits;
  return used.reduce((sum, b) => sum + b, 0);
}

/**
 * The largest |value| a sum may reach: Δ·|x| plus the error must stay below q/2, and q > 2^(bits−1) for a
 * prime of `bits` bits, so |x| < 2^(bits−2)/Δ leaves the error a full factor-of-two margin.
 */
function maxAbsSum(params: CkksParams): number {
  return 2 ** (dataModulusBits(params) - 2 - params.scaleBits);
}

/** The largest |value| one site may encrypt so that any sum of `maxSummands` inputs stays below {@link maxAbsSum}. */
export function maxAbsInput(params: CkksParams): number {
  return maxAbsSum(params) / params.maxSummands;
}

/**
 * Expected standard deviation of the error in each value of a sum of `summands` fresh ciphertexts.
 * A fresh ciphertext decrypts to Δ·x + e + r, with e the encryption error (σ = 3.2 per coefficient) and r
 * the encoder's rounding (uniform, variance 1/12); decoding evaluates the polynomial at N/2 roots of unity,
 * so each value's real part carries variance N·(σ² + 1/12)/2 before division by Δ (Cheon, Kim, Kim & Song,
 * ASIACRYPT 2017, Lemma 1 and §3.4). Independent errors add: the sum's standard deviation grows as √n.
 */
export function expectedSumErrorStddev(params: CkksParams, summands: number): number {
  const perCoefficientVariance = SEAL_NOISE_STDDEV ** 2 + 1 / 12;
  return (
    Math.sqrt((summands * params.polyModulusDegree * perCoefficientVariance) / 2) / 2 ** params.scaleBits
  );
}

export function checkCkksParams(params: CkksParams): void {
  const n = params.polyModulusDegree;
  if (!Number.isInteger(n) || n < 1024 || n > 32768 || (n & (n - 1)) !== 0)
    throw new ParameterError(`polyModulusDegree must be a power of two in [1024, 32768], got ${n}`);
  if (
    params.coeffModulusBits.length === 0 ||
    params.coeffModulusBits.some((b) => !Number.isInteger(b) || b < 20 || b > 60)
  )
    throw new ParameterError(
      `coeffModulusBits must be integers in [20, 60], got [${params.coeffModulusBits.join(", ")}]`,
    );
  if (!Number.isInteger(params.scaleBits) || params.scaleBits < 10)
    throw new ParameterError(`scaleBits must be an integer ≥ 10, got ${params.scaleBits}`);
  if (!Number.isSafeInteger(params.maxSummands) || params.maxSummands < 1)
    throw new ParameterError(`maxSummands must be an integer ≥ 1, got ${params.maxSummands}`);
  if (!(maxAbsInput(params) >= 1))
    throw new ParameterError(
      `no headroom: ${dataModulusBits(params)} data bits − 2 − scaleBits ${params.scaleBits} leave room for |x| < ${maxAbsInput(params)} per input with ${params.maxSummands} summands; need ≥ 1`,
    );
  if (!["none", "zlib", "zstd"].includes(params.compression))
    throw new ParameterError(`compression must be none, zlib or zstd, got ${String(params.compression)}`);
}

export const FINGERPRINT_BYTES = 16;

/** A short hash of the parameters, carried by every ciphertext and key envelope so mismatches fail loudly. */
export function paramsFingerprint(params: CkksParams): Uint8Array {
  const canonical = JSON.stringify([
    "fedtune-ckks/v1",
    params.polyModulusDegree,
    params.coeffModulusBits,
    params.scaleBits,
    params.maxSummands,
  ]);
  return new Uint8Array(createHash("sha256").update(canonical).digest().subarray(0, FINGERPRINT_BYTES));
}
