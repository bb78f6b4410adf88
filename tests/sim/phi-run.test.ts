// `fedtune sim --phi` end to end, tiny: the sites' own counts of what they replaced, and both probes of the global adapter in metrics and report.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSimOptions } from "../../sim/options.ts";
import { runSimulation } from "../../sim/runner.ts";
import type { SimMetrics } from "../../sim/report/metrics.ts";
import { writeTinyModel } from "./tiny-model.ts";

const SEQ_LEN = 768;
let root: string;
let modelDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fedtune-sim-phi-"));
  modelDir = join(root, "model");
  // Notes wrapped in identifiers run to several hundred tokens of this small vocabulary.
  await writeTinyModel(modelDir, SEQ_LEN);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("fedtune sim --phi", () => {
  it("reports each site's replacements and probes the global adapter: no real identifier in generations, ranks from the true digits", async () => {
    const out = join(root, "run");
    const sites = 2;
    const result = await runSimulation(
      parseSimOptions({
        seed: 4,
        sites,
        rounds: 1,
        privacy: "none",
        localSteps: 1,
        examplesPerSite: 8,
        testPerCondition: 1,
        seqLen: SEQ_LEN,
        batchSize: 4,
        workers: 0,
        model: modelDir,
        phi: true,
        out,
      }),
      pino({ level: "silent" }),
      () => undefined,
    );
    // Every site trained (no row left out for length) and evaluated.
    expect(result.metrics.rounds.map((r) => [r.participants, r.dropouts])).toEqual([[2, 0]]);
    const deid = result.metrics.deidentification;
    if (deid === undefined) throw new Error("no de-identification report");
    const siteIds = result.metrics.sites.map((s) => s.siteId).sort();
    expect(Object.keys(deid.sites).sort()).toEqual(siteIds);
    for (const site of Object.values(deid.sites)) {
      expect(site.replaced["name"]).toBeGreaterThan(0);
      expect(site.replaced["id"]).toBeGreaterThan(0);
    }
    expect(deid.leakCheck?.prompts).toBeGreaterThan(0);
    expect(deid.leakCheck?.identifiersFound).toEqual([]);
    expect(deid.identifierRanks?.map((r) => r.siteId).sort()).toEqual(siteIds);
    for (const { ranking } of deid.identifierRanks ?? []) {
      expect(ranking.method).toBe("exact");
      expect(ranking.candidates).toBe(1000);
      expect(ranking.rank).toBeGreaterThanOrEqual(1);
      expect(ranking.rank).toBeLessThanOrEqual(1000);
    }

    const written = JSON.parse(await readFile(join(out, "metrics.json"), "utf8")) as SimMetrics;
    expect(written.deidentification).toEqual(JSON.parse(JSON.stringify(deid)));
    const html = await readFile(join(out, "report.html"), "utf8");
    expect(html).toContain("<h2>De-identification</h2>");
    expect(html).toContain("rank of the true digits");
    expect(html).toContain("leak check: 0 planted identifiers");
    expect(result.summary.some((l) => l.startsWith("record-number probe"))).toBe(true);
    // The counts came from the sites: the coordinator's records hold none of them.
    const coordinatorFiles = await readFile(join(out, "coordinator.yaml"), "utf8");
    expect(coordinatorFiles).not.toContain("replaced");
  }, 600_000);
});
