// Rng: the seeded DRBG is reproducible and uniform enough; the CSPRNG fills and ranges correctly.
import { createCipheriv, createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cryptoRng, seededRng, uniformBelow } from "../../crypto/rng.ts";
import type { Rng } from "../../crypto/rng.ts";

describe("seededRng", () => {
  it("is the AES-256-CTR keystream under SHA-256 of the domain-separated seed", () => {
    const key = createHash("sha256").update("fedtune/seeded-rng/v1\0").update("s\0").update("abc").digest();
    const ks = createCipheriv("aes-256-ctr", key, new Uint8Array(16)).update(new Uint8Array(8200));
    const rng = seededRng("abc");
    expect(rng.nextUint32()).toBe(ks.readUInt32LE(0));
    const bytes = new Uint8Array(8190); // crosses a pool refill
    rng.fill(bytes);
    expect(Buffer.from(bytes).equals(ks.subarray(4, 8194))).toBe(true);
  });

  it("reproduces a stream from equal seeds and separates seed kinds", () => {
    const draw = (seed: Parameters<typeof seededRng>[0]) => {
      const r = seededRng(seed);
      return [r.nextUint32(), r.nextFloat64(), r.nextUint32()];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(Uint8Array.of(1, 2))).toEqual(draw(Uint8Array.of(1, 2)));
    expect(draw(42)).not.toEqual(draw("42"));
    expect(draw(1)).not.toEqual(draw(2));
    expect(() => seededRng(1.5)).toThrow(RangeError);
  });

  it("nextFloat64 lies in [0, 1) with mean ≈ 1/2 and uses the low bits", () => {
    const rng = seededRng("floats");
    let sum = 0;
    let fractional = 0;
    let outside = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat64();
      if (!(u >= 0 && u < 1)) outside++;
      sum += u;
      if (!Number.isInteger(u * 2 ** 32)) fractional++;
    }
    expect(outside).toBe(0);
    // σ of the mean is 1/sqrt(12 n) ≈ 0.0009; 6σ bound.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.006);
    expect(fractional).toBeGreaterThan(n * 0.99); // 53-bit resolution, not 32
  });
});

describe("cryptoRng", () => {
  it("fills buffers of any size and draws distinct values", () => {
    const rng = cryptoRng();
    const big = new Uint8Array(10_000);
    rng.fill(big);
    expect(big.some((b) => b !== 0)).toBe(true);
    const draws = new Set(Array.from({ length: 1000 }, () => rng.nextUint32()));
    expect(draws.size).toBeGreaterThan(995);
    const u = rng.nextFloat64();
    expect(u >= 0 && u < 1).toBe(true);
  });
});

describe("uniformBelow", () => {
  it("rejects the draws past the last whole multiple of n, so every residue is equally likely", () => {
    // 2^32 mod 3 = 1: the single draw 2^32 − 1 would favour residue 0 and must be redrawn.
    const draws = [2 ** 32 - 1, 2 ** 32 - 2];
    const scripted: Rng = {
      nextUint32: () => draws.shift() as number,
      nextFloat64: () => 0,
      fill: () => undefined,
    };
    expect(uniformBelow(scripted, 3)).toBe((2 ** 32 - 2) % 3);
    expect(draws).toEqual([]);
    const rng = seededRng("uniform-below");
    const seen = new Set(Array.from({ length: 200 }, () => uniformBelow(rng, 7)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(uniformBelow(rng, 1)).toBe(0);
    expect(() => uniformBelow(rng, 0)).toThrow(RangeError);
    expect(() => uniformBelow(rng, 2 ** 32 + 1)).toThrow(RangeError);
  });
});
