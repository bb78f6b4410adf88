// CKKS parameters for encrypted sums: their checks, capacity (largest safe value) and fingerprint; the set in use is threshold-params.ts.
import { ParameterError } from "../errors.ts";

export type CkksCompression = "none" | "zlib" | "zstd";

export interface CkksParams {
  /** N: a power of two; a ciphertext packs N values in its coefficients (threshold-site.ts). */
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

/** Bytes of the parameters' fingerprint every upload, share and sealed blob carries (threshold-params.ts). */
export const FINGERPRINT_BYTES = 16;

export interface ThresholdCkksParams extends CkksParams {
  /** log₂ of the standard deviation of the smudging noise each decryption share carries. */
  readonly smudgingStddevBits: number;
}

/**
 * Default: Δ = 2^47, so a sum stays below 2^(60−2−47) = 2^11 in magnitude (4 per input for 512 summands:
 * a weighted update [w·Δ, w] has w ≤ 1 and LoRA deltas far below 1); σ_smudge = 2^20, so with t shares
 * the decoded error has standard deviation √t·2^20/2^47 ≈ √t·7.5·10⁻⁹. The scale is set by he mode's
 * replay: FedAvg divides Σw·Δ by Σw = Σ n_k / 4096, which is ~10⁻² for small sites, and the sites'
 * rebuilt adapter must match the plain FedAvg to 10⁻⁵. The aggregate's own noise is 2^11–2^14 (see
 * aggregateNoiseStddev in threshold-params.ts), a margin of 6–9 bits; docs/he-threshold.md says what that margin does and
 * does not give.
 */
export const THRESHOLD_CKKS_PARAMS: ThresholdCkksParams = Object.freeze({
  polyModulusDegree: 4096,
  coeffModulusBits: Object.freeze([60]),
  scaleBits: 47,
  maxSummands: 512,
  compression: "none",
  smudgingStddevBits: 20,
});
