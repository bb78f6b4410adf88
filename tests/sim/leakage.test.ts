// Leakage probes: exposure and its extrapolation against hand-computed values, the membership AUC on
// cases with known answers, and the secret ranking on the built-in model against a direct sort.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { seededRng } from "../../crypto/rng.ts";
import { initBackend } from "../../model/backend.ts";
import { loadBaseModel } from "../../model/load.ts";
import type { LoadedModel } from "../../model/load.ts";
import { standardNormal } from "../../sim/clinical/sampling.ts";
import {
  CANARY_CONTROLS,
  CANARY_REPETITIONS,
  canaryText,
  makeCanaries,
  plantCanaries,
} from "../../sim/leakage/canary.ts";
import {
  exposureFromRank,
  extrapolatedExposure,
  fitSkewNormal,
  secretRank,
  skewNormalCdf,
} from "../../sim/leakage/exposure.ts";
import { rocAuc } from "../../sim/leakage/membership.ts";
import { candidateAt, rankSecret, textLogLikelihoods } from "../../sim/leakage/secret-rank.ts";

describe("exposure (Carlini et al. 2019)", () => {
  it("ranks a secret among hand-made log-likelihoods and turns the rank into bits", () => {
    const candidates = [-5, -3, -9, -1, -4, -7, -2, -6];
    // Two candidates (−1, −2) are more likely than the secret's −3: rank 3 of 8.
    expect(secretRank(-3, candidates)).toBe(3);
    expect(exposureFromRank(3, 8)).toBeCloseTo(3 - Math.log2(3), 12);
    expect(exposureFromRank(1, 8)).toBe(3);
    expect(exposureFromRank(8, 8)).toBe(0);
    // A tie goes to the secret: the attacker's best case.
    expect(secretRank(-2, [-2, -2, -1])).toBe(2);
  });

  it("refuses ranks outside the candidate space", () => {
    expect(() => exposureFromRank(0, 8)).toThrow(RangeError);
    expect(() => exposureFromRank(9, 8)).toThrow(RangeError);
    expect(() => secretRank(Number.NaN, [1])).toThrow(RangeError);
  });

  it("skew-normal CDF: Φ when α = 0, and Φ(0) − 2·T(0, 1) = 1/4 when α = 1", () => {
    expect(skewNormalCdf({ location: 0, scale: 1, shape: 0 }, -2)).toBeCloseTo(0.0227501, 6);
    expect(skewNormalCdf({ location: 0, scale: 1, shape: 1 }, 0)).toBeCloseTo(0.25, 6);
  });

  it("extrapolates −log₂ Pr[perplexity ≤ the secret's] from a normal sample", () => {
    const rng = seededRng("exposure-extrapolation");
    const perplexities = Array.from({ length: 20_000 }, () => 10 + 2 * standardNormal(rng));
    const fit = fitSkewNormal(perplexities);
    expect(Math.abs(fit.shape)).toBeLessThan(0.5);
    // Log-likelihood −6 is log-perplexity 6, two standard deviations below the mean: Φ(−2) = 0.02275.
    const exposure = extrapolatedExposure(
      -6,
      perplexities.map((p) => -p),
      1e9,
    );
    expect(exposure).toBeCloseTo(-Math.log2(0.0227501), 1);
  });
});

describe("membership AUC (Mann–Whitney)", () => {
  it("gives the hand-counted share of member/non-member pairs ordered correctly", () => {
    // Pairs: 0.9>0.5, 0.9>0.1, 0.4<0.5, 0.4>0.1 → 3 of 4.
    expect(rocAuc([0.9, 0.4], [0.5, 0.1])).toBe(0.75);
    expect(rocAuc([3, 4, 5], [1, 2])).toBe(1);
    expect(rocAuc([1, 2], [3, 4])).toBe(0);
    expect(rocAuc([1, 1], [1, 1, 1])).toBe(0.5);
  });

  it("matches Φ(d/√2) for unit normals d apart", () => {
    const rng = seededRng("auc-normal");
    const members = Array.from({ length: 4000 }, () => 1 + standardNormal(rng));
    const nonMembers = Array.from({ length: 4000 }, () => standardNormal(rng));
    // Φ(1/√2) = 0.76025.
    expect(rocAuc(members, nonMembers)).toBeCloseTo(0.76025, 1);
    expect(Math.abs(rocAuc(members, nonMembers) - 0.76025)).toBeLessThan(0.015);
  });

  it("refuses empty groups", () => {
    expect(() => rocAuc([], [1])).toThrow(RangeError);
  });
});

describe("canaries", () => {
  it("plants each canary as often as it says and keeps controls out", async () => {
    const canaries = makeCanaries(5);
    expect(canaries.map((c) => c.repetitions)).toEqual([
      ...CANARY_REPETITIONS,
      ...new Array<number>(CANARY_CONTROLS).fill(0),
    ]);
    expect(new Set(canaries.map((c) => c.patient)).size).toBe(canaries.length);
    const dir = await mkdtemp(join(tmpdir(), "fedtune-canary-"));
    try {
      const file = join(dir, "train.jsonl");
      await writeFile(file, '{"text":"a record"}\n');
      await plantCanaries([file], canaries);
      const lines = (await readFile(file, "utf8")).trim().split("\n");
      expect(lines).toHaveLength(1 + 1 + 4 + 16);
      for (const c of canaries) {
        const row = JSON.stringify({ text: canaryText(c) });
        expect(lines.filter((l) => l === row)).toHaveLength(c.repetitions);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("rankSecret on the built-in model", () => {
  let base: LoadedModel;
  beforeAll(async () => {
    const logger = pino({ level: "silent" });
    await initBackend(logger);
    base = await loadBaseModel("builtin", logger);
  });

  it("gives the rank a direct sort of every candidate's log-likelihood gives", () => {
    const format = { alphabet: "0123", length: 2 };
    const probe = { prefix: "Medical record number 70", secret: "21", suffix: "." };
    const lm = { model: base.model };
    const options = { maxEnumerated: 16, sampled: 8, batchSize: 8, seqLen: 64 };
    const candidates = Array.from({ length: 16 }, (_, i) => candidateAt(format, i));
    expect(candidates.slice(0, 5)).toEqual(["00", "01", "02", "03", "10"]);
    const scores = textLogLikelihoods(
      lm,
      base.tokenizer,
      candidates.map((c) => `${probe.prefix}${c}${probe.suffix}`),
      options,
    );
    const order = candidates.map((c, i) => ({ c, s: scores[i] ?? 0 })).sort((a, b) => b.s - a.s);
    const expectedRank = order.findIndex((x) => x.c === probe.secret) + 1;
    const ranking = rankSecret(lm, base.tokenizer, probe, format, options, seededRng(1));
    expect(ranking).toEqual({
      rank: expectedRank,
      candidates: 16,
      exposure: 4 - Math.log2(expectedRank),
      method: "exact",
    });
    const sampled = rankSecret(
      lm,
      base.tokenizer,
      probe,
      format,
      { ...options, maxEnumerated: 4 },
      seededRng(1),
    );
    expect(sampled.method).toBe("extrapolated");
    expect(sampled.exposure).toBeGreaterThanOrEqual(0);
    expect(sampled.exposure).toBeLessThanOrEqual(4);
    expect(() =>
      rankSecret(lm, base.tokenizer, { ...probe, secret: "29" }, format, options, seededRng(1)),
    ).toThrow(RangeError);
  });
});
