// Fixed-point codec: round trips, sums of n encodings, headroom refusals and unbiased stochastic rounding.
import { describe, expect, it } from "vitest";
import { createFixedPointCodec } from "../../crypto/codec.ts";
import { ParameterError } from "../../crypto/errors.ts";
import { seededRng } from "../../crypto/rng.ts";

function randomVector(rng: ReturnType<typeof seededRng>, d: number, range: number): Float32Array {
  return Float32Array.from({ length: d }, () => (rng.nextFloat64() * 2 - 1) * range);
}

describe("createFixedPointCodec", () => {
  it("decodes the wrapped Z_2^32 sum of n encodings to the float sum within n/2 steps", () => {
    const rng = seededRng("codec-sum");
    for (const n of [1, 7, 100]) {
      const codec = createFixedPointCodec({ clipRange: 2, maxSummands: n });
      const d = 300;
      const sum = new Uint32Array(d);
      const exact = new Float64Array(d);
      for (let k = 0; k < n; k++) {
        const x = randomVector(rng, d, 2);
        const q = codec.encode(x);
        for (let i = 0; i < d; i++) {
          sum[i] = (sum[i] as number) + (q[i] as number);
          exact[i] = (exact[i] as number) + (x[i] as number);
        }
      }
      const decoded = codec.decodeSum(sum, n);
      const bound = codec.maxAbsError(n, false);
      for (let i = 0; i < d; i++) {
        expect(Math.abs((decoded[i] as number) - (exact[i] as number))).toBeLessThanOrEqual(
          bound + Math.abs(exact[i] as number) * 2 ** -23,
        );
      }
    }
  });

  it("clips to ±clipRange, so n extreme values sum to exactly ±n·clipRange without wrapping", () => {
    const n = 50;
    const codec = createFixedPointCodec({ clipRange: 1, maxSummands: n });
    for (const extreme of [1e9, -1e9]) {
      const sum = new Uint32Array(1);
      for (let k = 0; k < n; k++)
        sum[0] = (sum[0] as number) + (codec.encode(Float32Array.of(extreme))[0] as number);
      expect(codec.decodeSum(sum, n)[0]).toBeCloseTo(Math.sign(extreme) * n, 4);
    }
  });

  it("refuses parameters that could wrap or carry nothing, non-finite values and impossible sums", () => {
    expect(() => createFixedPointCodec({ clipRange: 0, maxSummands: 3 })).toThrow(ParameterError);
    expect(() => createFixedPointCodec({ clipRange: Number.NaN, maxSummands: 3 })).toThrow(ParameterError);
    expect(() => createFixedPointCodec({ clipRange: 1, maxSummands: 0 })).toThrow(ParameterError);
    expect(() => createFixedPointCodec({ clipRange: 1, maxSummands: 2.5 })).toThrow(ParameterError);
    expect(() => createFixedPointCodec({ clipRange: 1, maxSummands: 2 ** 23 + 1 })).toThrow(ParameterError);
    const codec = createFixedPointCodec({ clipRange: 1, maxSummands: 4 });
    expect(() => codec.encode(Float32Array.of(Number.NaN))).toThrow(ParameterError);
    expect(() => codec.encode(Float32Array.of(Number.POSITIVE_INFINITY))).toThrow(ParameterError);
    expect(() => codec.decodeSum(new Uint32Array(1), 5)).toThrow(ParameterError);
    // 2^31 − 1 is reachable by no sum of 2 encodings (at most 2·maxLevel ≈ 2^30).
    expect(() => codec.decodeSum(Uint32Array.of(2 ** 31 - 1), 2)).toThrow(ParameterError);
  });

  it("encodes into a slice of a larger vector, so extra entries (the sample count) ride along with their own scale", () => {
    const n = 3;
    const update = createFixedPointCodec({ clipRange: 1, maxSummands: n });
    const count = createFixedPointCodec({ clipRange: 1e5, maxSummands: n });
    const sum = new Uint32Array(3);
    const counts = [120, 7, 3000];
    for (const c of counts) {
      const v = new Uint32Array(3);
      update.encode(Float32Array.of(0.25, -0.5), { out: v, offset: 0 });
      count.encode(Float32Array.of(c), { out: v, offset: 2 });
      for (let i = 0; i < 3; i++) sum[i] = (sum[i] as number) + (v[i] as number);
    }
    expect(Array.from(update.decodeSum(sum.subarray(0, 2), n))).toEqual([0.75, -1.5]);
    expect(count.decodeSum(sum.subarray(2), n)[0]).toBeCloseTo(3127, 2);
    expect(() => update.encode(Float32Array.of(1, 2), { out: new Uint32Array(2), offset: 1 })).toThrow(
      ParameterError,
    );
  });

  it("stochastic rounding is unbiased where rounding to nearest is not", () => {
    const codec = createFixedPointCodec({ clipRange: 1, maxSummands: 2 ** 20 });
    // 0.3 steps above a level: nearest always rounds down, stochastic up 30% of the time.
    const x = (17 + 0.3) / codec.scale;
    const trials = 20_000;
    const rng = seededRng("stochastic");
    let total = 0;
    for (let i = 0; i < trials; i++) total += codec.encode(Float32Array.of(x), { rng })[0] as number;
    const mean = total / trials;
    const target = Math.fround(x) * codec.scale;
    expect(codec.encode(Float32Array.of(x))[0]).toBe(17);
    expect(Math.abs(mean - target)).toBeLessThan(0.02); // σ ≈ 0.46/sqrt(20000) ≈ 0.0032
  });
});

describe("clamping after rounding", () => {
  it("never encodes past ±maxLevel, even where clipRange · scale rounds up in float64", () => {
    // 0.3 · (maxLevel / 0.3) exceeds maxLevel by an ulp at maxSummands = 5; an rng drawing just below 1
    // then rounds the clip limit one level past the headroom.
    const codec = createFixedPointCodec({ clipRange: 0.3, maxSummands: 5 });
    const highDraw = { nextUint32: () => 0xffffffff, nextFloat64: () => 1 - 2 ** -53, fill: () => {} };
    const encoded = codec.encode(Float32Array.from([0.3, 5, -5]), { rng: highDraw });
    expect(Array.from(encoded, (q) => q | 0)).toEqual([codec.maxLevel, codec.maxLevel, -codec.maxLevel]);
  });
});
