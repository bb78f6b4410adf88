// Fixed-point codec: float vectors to Z_2^32 and back, with headroom so a sum of up to maxSummands vectors never wraps.
import { ParameterError } from "./errors.ts";
import type { Rng } from "./rng.ts";

export interface FixedPointParams {
  /** Values are clipped to [-clipRange, clipRange] before quantization. */
  readonly clipRange: number;
  /** Largest number of encoded vectors that may be summed (the number of sites). */
  readonly maxSummands: number;
}

export interface FixedPointCodec extends FixedPointParams {
  /** Quantization steps per unit: an encoded value is round(clip(x) · scale). */
  readonly scale: number;
  /** Largest magnitude of one encoded value: floor((2^31 − 1) / maxSummands). */
  readonly maxLevel: number;
  /**
   * Encodes `values` into `out` (a fresh array when omitted) starting at `offset`.
   * With an `rng`, rounding is stochastic and unbiased (E[q] = clip(x) · scale); without, to nearest.
   */
  encode(values: Float32Array, options?: { rng?: Rng; out?: Uint32Array; offset?: number }): Uint32Array;
  /** Decodes the element-wise Z_2^32 sum of `summands` encoded vectors. */
  decodeSum(sum: Uint32Array, summands: number): Float32Array;
  /** Bound on |decoded sum − sum of clipped inputs| per entry for `summands` vectors, before the float32 rounding of the result (relative 2^−24). */
  maxAbsError(summands: number, stochastic: boolean): number;
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Builds a codec. A sum of n ≤ maxSummands values in [−maxLevel, maxLevel] lies in
 * [−(2^31 − 1), 2^31 − 1], so its two's-complement residue mod 2^32 decodes uniquely
 * (Bonawitz et al. 2017 §3 and Bell et al. 2020 §2 assume exactly this headroom). The
 * codec refuses parameters leaving fewer than 2^8 levels per unit of clip range, since
 * these could not carry an update meaningfully.
 */
export function createFixedPointCodec(params: FixedPointParams): FixedPointCodec {
  const { clipRange, maxSummands } = params;
  if (!Number.isFinite(clipRange) || clipRange <= 0) {
    throw new ParameterError(`codec: clipRange must be a positive finite number, got ${clipRange}`);
  }
  if (!Number.isSafeInteger(maxSummands) || maxSummands < 1 || maxSummands > 2 ** 23) {
    throw new ParameterError(`codec: maxSummands must be an integer in [1, 2^23], got ${maxSummands}`);
  }
  const maxLevel = Math.floor(INT32_MAX / maxSummands);
  const scale = maxLevel / clipRange;
  if (maxLevel < 256) {
    throw new ParameterError(
      `codec: ${maxSummands} summands leave only ${maxLevel} levels; use fewer summands`,
    );
  }
  return {
    clipRange,
    maxSummands,
    scale,
    maxLevel,
    encode(values, options = {}) {
      const offset = options.offset ?? 0;
      const out = options.out ?? new Uint32Array(values.length);
      if (!Number.isSafeInteger(offset) || offset < 0 || offset + values.length > out.length) {
        throw new ParameterError(
          `codec: ${values.length} values do not fit at offset ${offset} of ${out.length}`,
        );
      }
      const rng = options.rng;
      for (let i = 0; i < values.length; i++) {
        const x = values[i] as number;
        if (!Number.isFinite(x)) throw new ParameterError(`codec: value at index ${i} is not finite`);
        const v = (x > clipRange ? clipRange : x < -clipRange ? -clipRange : x) * scale;
        // floor(v + u), u ~ U[0,1), is unbiased. clipRange · scale can round a hair past maxLevel in
        // float64, and floor(v + u) then one level further: clamp after rounding, so that no entry
        // ever leaves the headroom the sum of maxSummands encodings relies on.
        const rounded = rng === undefined ? Math.round(v) : Math.floor(v + rng.nextFloat64());
        const q = rounded > maxLevel ? maxLevel : rounded < -maxLevel ? -maxLevel : rounded;
        out[offset + i] = q; // Uint32Array stores q mod 2^32 (ToUint32), i.e. two's complement.
      }
      return out;
    },
    decodeSum(sum, summands) {
      if (!Number.isSafeInteger(summands) || summands < 1 || summands > maxSummands) {
        throw new ParameterError(
          `codec: cannot decode a sum of ${summands} vectors (maxSummands ${maxSummands})`,
        );
      }
      const bound = summands * maxLevel;
      const out = new Float32Array(sum.length);
      for (let i = 0; i < sum.length; i++) {
        const s = (sum[i] as number) | 0;
        // Outside the reachable range means the input was not a sum of `summands` encodings.
        if (s > bound || s < -bound) {
          throw new ParameterError(
            `codec: entry ${i} is outside the range of a sum of ${summands} encodings`,
          );
        }
        out[i] = s / scale;
      }
      return out;
    },
    maxAbsError(summands, stochastic) {
      return (summands * (stochastic ? 1 : 0.5)) / scale;
    },
  };
}
