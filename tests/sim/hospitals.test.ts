// Synthetic hospitals: determinism, non-IID skew that grows as the Dirichlet concentration falls, files the engine loads.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadJsonlDataset } from "../../client/data/load-jsonl.ts";
import { CONDITIONS } from "../../sim/clinical/conditions.ts";
import {
  HOSPITAL_PROFILES,
  generateFederationData,
  labelSkew,
  writeFederationData,
} from "../../sim/hospitals.ts";
import type { FederationDataOptions } from "../../sim/hospitals.ts";

const SMALL: FederationDataOptions = {
  seed: 11,
  sites: 8,
  concentration: 0.5,
  examplesPerSite: 40,
  validationFraction: 0.2,
  testPerCondition: 1,
};

describe("generateFederationData", () => {
  it("gives identical data for the same seed and different data for another", () => {
    const a = generateFederationData(SMALL);
    expect(generateFederationData(SMALL)).toEqual(a);
    expect(generateFederationData({ ...SMALL, seed: 12 })).not.toEqual(a);
  });

  it("leaves existing sites unchanged when sites are added", () => {
    const four = generateFederationData({ ...SMALL, sites: 4 });
    const eight = generateFederationData(SMALL);
    expect(eight.sites.slice(0, 4)).toEqual(four.sites);
  });

  it("uses a distinct profile per site for the first eight sites, with different sizes", () => {
    const data = generateFederationData(SMALL);
    expect(new Set(data.sites.map((s) => s.profile.kind)).size).toBe(Math.min(8, HOSPITAL_PROFILES.length));
    expect(new Set(data.sites.map((s) => s.siteId)).size).toBe(8);
    const sizes = data.sites.map((s) => s.train.length + s.validation.length);
    expect(Math.max(...sizes)).toBeGreaterThan(2 * Math.min(...sizes));
  });

  it("skews label mixes more as the concentration falls", () => {
    const skew = (concentration: number): number => {
      let total = 0;
      for (const seed of [1, 2, 3])
        total += labelSkew(generateFederationData({ ...SMALL, seed, concentration }));
      return total / 3;
    };
    const high = skew(100);
    const mid = skew(1);
    const low = skew(0.05);
    expect(mid).toBeGreaterThan(high);
    expect(low).toBeGreaterThan(mid);
    expect(low).toBeGreaterThan(0.6);
  });

  it("follows each profile's specialty: the children's hospital sees mostly paediatric cases", () => {
    const data = generateFederationData({ ...SMALL, concentration: 5, examplesPerSite: 200 });
    const childrens = data.sites.find((s) => s.profile.kind === "childrens");
    const general = data.sites.find((s) => s.profile.kind === "general");
    const share = (site: typeof childrens): number => {
      const records = site?.train ?? [];
      const paediatric = records.filter(
        (r) => CONDITIONS.find((c) => c.id === r.conditionId)?.category === "paediatric",
      );
      return paediatric.length / Math.max(1, records.length);
    };
    expect(share(childrens)).toBeGreaterThan(0.5);
    expect(share(general)).toBeLessThan(0.3);
  });

  it("puts noise in training labels only and balances the clean test set over every condition", () => {
    const data = generateFederationData({ ...SMALL, labelNoiseScale: 5, examplesPerSite: 200 });
    const train = data.sites.flatMap((s) => s.train);
    expect(train.some((r) => r.label !== r.trueLabel)).toBe(true);
    expect(data.sites.flatMap((s) => s.validation).every((r) => r.label === r.trueLabel)).toBe(true);
    expect(data.test.every((r) => r.label === r.trueLabel)).toBe(true);
    expect(new Set(data.test.map((r) => r.conditionId)).size).toBe(CONDITIONS.length);
    const clean = generateFederationData({ ...SMALL, labelNoiseScale: 0 });
    expect(clean.sites.flatMap((s) => s.train).every((r) => r.label === r.trueLabel)).toBe(true);
  });
});

describe("writeFederationData", () => {
  it("writes per-site JSONL files that the engine's loader accepts without an invalid row", async () => {
    const dir = await mkdtemp(join(tmpdir(), "fedtune-sim-"));
    try {
      const data = generateFederationData({ ...SMALL, sites: 3 });
      const files = await writeFederationData(dir, data);
      expect(files.sites.size).toBe(3);
      for (const site of data.sites) {
        const f = files.sites.get(site.siteId);
        if (f === undefined) throw new Error(`no files for ${site.siteId}`);
        for (const [file, kind, n] of [
          [f.train, "instruction", site.train.length],
          [f.trainMcq, "mcq", site.train.length],
          [f.validation, "instruction", site.validation.length],
          [f.validationMcq, "mcq", site.validation.length],
        ] as const) {
          const ds = await loadJsonlDataset(file, { strict: true });
          expect(ds.examples).toHaveLength(n);
          expect(ds.examples.every((e) => e.kind === kind)).toBe(true);
        }
        const profile = JSON.parse(await readFile(join(f.dir, "profile.json"), "utf8")) as { kind: string };
        expect(profile.kind).toBe(site.profile.kind);
      }
      const test = await loadJsonlDataset(files.testMcq, { strict: true });
      expect(test.examples).toHaveLength(CONDITIONS.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
