// Parameters and noise budget of threshold CKKS (multiparty keys, t-of-n decryption), and the polynomial tools built from a SEAL context.
//
// One 60-bit prime is forced by the size targets: an upload is two polynomials of N 8-byte words for N
// values (4 bytes per float32 byte) and a decryption share one polynomial (2 bytes per float32 byte), so
// every extra prime would add 2 (resp. 1) bytes per float32 byte. N = 4096 is the smallest degree whose
// 128-bit bound admits 60 bits (HE Standard, Albrecht et al. 2018, Table 1: 109 bits at N = 4096, 54 at
// N = 2048; SEAL enforces it). Within those 60 bits three things share the budget: the range of a sum
// (scaleBits below the top), its precision (the scale over the noise) and the smudging margin (the
// smudging noise over the aggregate's own noise). See docs/he-threshold.md for the trade-off.
import { createHash } from "node:crypto";
import { ParameterError } from "../errors.ts";
import type { CkksContext } from "./context.ts";
import { createModulus, type Modulus } from "./modular.ts";
import { createNttTables, type NttTables } from "./ntt.ts";
import { dataModulusBits, FINGERPRINT_BYTES, type CkksParams, type ThresholdCkksParams } from "./params.ts";

// Defined beside CkksParams so that context.ts can default to it without a cycle through this file.
export { THRESHOLD_CKKS_PARAMS, type ThresholdCkksParams } from "./params.ts";
import { PARMS_ID_BYTES } from "./seal-format.ts";

/** SEAL's error distribution: a centred Gaussian of standard deviation 3.2 (seal/util/globals.h). */
export const FRESH_NOISE_STDDEV = 3.2;
/** SEAL clips fresh noise at 6σ (noise_max_deviation = 19.2); fedtune's own samples clip there too. */
export const FRESH_NOISE_BOUND = 19.2;
/** A ternary secret or u ∈ {−1, 0, 1} uniform: variance 2/3 per coefficient. */
const TERNARY_VARIANCE = 2 / 3;

/**
 * Standard deviation of one coefficient of the noise of a sum of `summands` fresh public-key encryptions
 * under a collective key of `holders` shares. A fresh ciphertext decrypts to m + u·e_pk + e0 + e1·s
 * (Mouchet et al. 2021; Lyubashevsky, Peikert & Regev 2010 encryption), with e_pk = Σ e_i and
 * s = Σ s_i: the two products each have variance N·(2/3)·holders·σ², e0 adds σ².
 */
export function aggregateNoiseStddev(params: CkksParams, holders: number, summands: number): number {
  const sigma2 = FRESH_NOISE_STDDEV ** 2;
  const perCiphertext = sigma2 + 2 * params.polyModulusDegree * TERNARY_VARIANCE * holders * sigma2;
  return Math.sqrt(summands * perCiphertext);
}

/** Bits by which the smudging noise's standard deviation exceeds the aggregate's own noise. */
export function smudgingMarginBits(params: ThresholdCkksParams, holders: number, summands: number): number {
  return params.smudgingStddevBits - Math.log2(aggregateNoiseStddev(params, holders, summands));
}

/** Expected standard deviation of each decoded value of a sum decrypted by `threshold` holders. */
export function expectedThresholdErrorStddev(
  params: ThresholdCkksParams,
  holders: number,
  summands: number,
  threshold: number,
): number {
  const smudge = 2 ** params.smudgingStddevBits;
  const noise = aggregateNoiseStddev(params, holders, summands);
  return Math.sqrt(threshold * smudge * smudge + noise * noise + summands / 12) / 2 ** params.scaleBits;
}

export function checkThresholdParams(params: ThresholdCkksParams): void {
  if (params.coeffModulusBits.length !== 1)
    throw new ParameterError("threshold CKKS works under exactly one prime");
  const bits = params.smudgingStddevBits;
  // The smudging of up to maxSummands shares, at 8σ, must fit in the 2^(bits − 2) below q/2 that the sum
  // leaves free (params.ts maxAbsSum keeps |Δ·sum| below 2^(bits − 2)).
  if (
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits + 3 + Math.log2(params.maxSummands) / 2 >= dataModulusBits(params) - 2
  )
    throw new ParameterError(
      `smudgingStddevBits ${bits} could let the smudging noise of maxSummands shares wrap the modulus`,
    );
  if (dataModulusBits(params) - 2 - params.scaleBits < 1)
    throw new ParameterError("scaleBits leaves no room for the sum");
}

/** A short hash of the threshold parameters, carried by uploads, shares and key material. */
export function thresholdFingerprint(params: ThresholdCkksParams): Uint8Array {
  const canonical = JSON.stringify([
    "fedtune-ckks-threshold/v1",
    params.polyModulusDegree,
    params.coeffModulusBits,
    params.scaleBits,
    params.maxSummands,
    params.smudgingStddevBits,
  ]);
  return new Uint8Array(createHash("sha256").update(canonical).digest().subarray(0, FINGERPRINT_BYTES));
}

/** The context's single prime q. */
function sealPrime(ctx: CkksContext): bigint {
  const primes = ctx.context.firstContextData.parms.coeffModulus;
  const q = primes[0];
  if (primes.length !== 1 || q === undefined)
    throw new ParameterError("threshold CKKS works under exactly one prime");
  return q;
}

export function sealModulus(ctx: CkksContext): Modulus {
  return createModulus(sealPrime(ctx), ctx.params.polyModulusDegree);
}

/** The context's parms_id as SEAL serializes it (4 little-endian u64); with one prime the key level is the data level. */
export function sealParmsId(ctx: CkksContext): Uint8Array {
  const words = ctx.context.firstParmsId.values;
  const out = new Uint8Array(PARMS_ID_BYTES);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(8 * i, w, true));
  return out;
}

/** Everything the threshold code computes with, built once per context. */
export interface PolyTools {
  readonly ctx: CkksContext;
  readonly params: ThresholdCkksParams;
  readonly modulus: Modulus;
  readonly ntt: NttTables;
  readonly parmsId: Uint8Array;
  readonly fingerprint: Uint8Array;
  readonly degree: number;
}

export function createPolyTools(ctx: CkksContext, params: ThresholdCkksParams): PolyTools {
  checkThresholdParams(params);
  if (ctx.params.polyModulusDegree !== params.polyModulusDegree || ctx.params.scaleBits !== params.scaleBits)
    throw new ParameterError("the SEAL context was built from other parameters");
  const modulus = sealModulus(ctx);
  return {
    ctx,
    params,
    modulus,
    ntt: createNttTables(modulus),
    parmsId: sealParmsId(ctx),
    fingerprint: thresholdFingerprint(params),
    degree: params.polyModulusDegree,
  };
}
