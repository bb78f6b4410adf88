// Clipping, Gaussian noise and distributed noise shares: norms, moments and the variance of the summed shares.
import { describe, expect, it } from "vitest";
import { clipL2, l2Norm } from "../../crypto/dp/clip.ts";
import { distributedNoiseStddev, privatizeUpdate } from "../../crypto/dp/distributed-noise.ts";
import { addGaussianNoise, sampleGaussian, snapGrid } from "../../crypto/dp/gaussian.ts";
import { ParameterError } from "../../crypto/errors.ts";
import { seededRng } from "../../crypto/rng.ts";

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] ?? 0;
  return sum / values.length;
}

function variance(values: ArrayLike<number>): number {
  const m = mean(values);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += ((values[i] ?? 0) - m) ** 2;
  return sum / (values.length - 1);
}

describe("clipL2", () => {
  it("scales an update above the bound onto it and leaves one below untouched", () => {
    const big = Float32Array.from([3, 4, 0, 12]); // norm 13
    const { clipped, norm, factor } = clipL2(big, 1);
    expect(norm).toBe(13);
    expect(factor).toBeLessThan(1 / 13);
    expect(l2Norm(clipped)).toBeLessThanOrEqual(1);
    expect(l2Norm(clipped)).toBeGreaterThan(1 - 1e-5);
    expect(Array.from(big)).toEqual([3, 4, 0, 12]);

    const small = Float32Array.from([0.1, -0.2]);
    expect(Array.from(clipL2(small, 1).clipped)).toEqual(Array.from(small));
  });

  it("never lets float32 rounding push the norm above the bound", () => {
    const rng = seededRng("clip");
    for (let trial = 0; trial < 50; trial++) {
      const update = Float32Array.from({ length: 1000 }, () => (rng.nextFloat64() - 0.5) * 100);
      expect(l2Norm(clipL2(update, 0.37).clipped)).toBeLessThanOrEqual(0.37);
    }
  });

  it("refuses a non-positive bound and non-finite updates", () => {
    expect(() => clipL2(Float32Array.from([1]), 0)).toThrow(ParameterError);
    expect(() => clipL2(Float32Array.from([Number.NaN]), 1)).toThrow(ParameterError);
  });
});

describe("Gaussian noise", () => {
  it("has mean 0 and the requested variance", () => {
    const draws = sampleGaussian(seededRng("gauss"), 200_000, 2.5);
    // Standard errors: mean 2.5/√n ≈ 0.0056; variance 6.25·√(2/n) ≈ 0.02.
    expect(Math.abs(mean(draws))).toBeLessThan(0.03);
    expect(Math.abs(variance(draws) - 6.25)).toBeLessThan(0.1);
  });

  it("is reproducible from a seed and differs across seeds", () => {
    expect(sampleGaussian(seededRng(7), 4, 1)).toEqual(sampleGaussian(seededRng(7), 4, 1));
    expect(sampleGaussian(seededRng(7), 4, 1)).not.toEqual(sampleGaussian(seededRng(8), 4, 1));
  });

  it("snaps noised values to the power-of-two grid below σ", () => {
    const sigma = 0.3;
    const grid = snapGrid(sigma);
    expect(grid).toBe(2 ** (Math.floor(Math.log2(sigma)) - 12));
    const out = addGaussianNoise(
      Float32Array.from({ length: 1000 }, (_, i) => i * 1e-3),
      sigma,
      seededRng("snap"),
    );
    for (const v of out) expect(Number.isInteger(v / grid)).toBe(true);
  });
});

describe("distributed noise", () => {
  it("each share is N(0, z²C²/t) and the sum of t shares carries the full N(0, z²C²)", () => {
    const config = { noiseMultiplier: 1.2, clipNorm: 0.5, minSurvivors: 5 };
    expect(distributedNoiseStddev(config)).toBeCloseTo((1.2 * 0.5) / Math.sqrt(5), 15);
    const dims = 20_000;
    const zero = new Float32Array(dims);
    const shares = Array.from({ length: config.minSurvivors }, (_, site) =>
      privatizeUpdate(zero, config, seededRng(`site-${site}`)),
    );
    const sum = new Float64Array(dims);
    for (const share of shares) share.forEach((v, i) => (sum[i] = (sum[i] ?? 0) + v));
    const shareVariance = variance(shares[0] ?? []);
    const sumVariance = variance(sum);
    // Relative standard error of a sample variance with n = 20000 is √(2/n) ≈ 1%; allow 5%.
    expect(shareVariance / ((1.2 * 0.5) ** 2 / 5)).toBeCloseTo(1, 1);
    expect(Math.abs(sumVariance / (1.2 * 0.5) ** 2 - 1)).toBeLessThan(0.05);
  });

  it("clips before adding the share", () => {
    const config = { noiseMultiplier: 1e-6, clipNorm: 1, minSurvivors: 1 };
    const out = privatizeUpdate(Float32Array.from([30, 40]), config, seededRng("c"));
    expect(l2Norm(out)).toBeCloseTo(1, 4);
  });

  it("refuses fewer than one survivor and negative noise", () => {
    expect(() => distributedNoiseStddev({ noiseMultiplier: 1, clipNorm: 1, minSurvivors: 0 })).toThrow(
      ParameterError,
    );
    expect(() => distributedNoiseStddev({ noiseMultiplier: -1, clipNorm: 1, minSurvivors: 3 })).toThrow(
      ParameterError,
    );
  });
});
