// One small simulation end to end: the real coordinator and site clients over loopback gRPC with TLS, a tiny model, the report.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSimOptions } from "../../sim/options.ts";
import type { SimEvent } from "../../sim/progress.ts";
import { runSimulation } from "../../sim/runner.ts";
import { writeTinyModel } from "./tiny-model.ts";

let root: string;
let modelDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fedtune-sim-e2e-"));
  modelDir = join(root, "model");
  await writeTinyModel(modelDir);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("fedtune sim, end to end", () => {
  it("runs a secagg round over 3 sites and writes metrics, report, charts and the final adapter", async () => {
    const out = join(root, "run");
    const events: SimEvent[] = [];
    const result = await runSimulation(
      parseSimOptions({
        seed: 3,
        sites: 3,
        rounds: 1,
        privacy: "secagg",
        localSteps: 1,
        examplesPerSite: 12,
        testPerCondition: 1,
        seqLen: 320,
        batchSize: 4,
        workers: 0,
        model: modelDir,
        canaries: true,
        out,
      }),
      pino({ level: "silent" }),
      (e) => events.push(e),
    );
    const [round] = result.metrics.rounds;
    expect(result.metrics.rounds).toHaveLength(1);
    expect(round?.participants).toBe(3);
    expect(round?.dropouts).toBe(0);
    expect(round?.bytesSent).toBeGreaterThan(0);
    expect(Object.keys(round?.stageDurationsMs ?? {})).toEqual(
      expect.arrayContaining(["advertise_keys", "share_keys", "masked_input", "unmask"]),
    );
    expect(round?.global?.accuracy).toBeGreaterThanOrEqual(0);
    // Each site's SecAgg+ work against its training, in metrics.json (bench figures come from default runs).
    expect(round?.protectOverTrain?.sites).toBe(3);
    expect(round?.protectOverTrain?.max).toBeGreaterThan(0);
    expect(Object.keys(round?.perSite ?? {}).sort()).toEqual(
      result.metrics.sites.map((s) => s.siteId).sort(),
    );
    expect(events.some((e) => e.type === "stage" && e.stage === "unmask")).toBe(true);
    expect(events.some((e) => e.type === "round" && e.round === 1)).toBe(true);
    for (const file of [
      "metrics.json",
      "report.html",
      "charts/accuracy.png",
      "adapter/adapter_model.safetensors",
      "coordinator.yaml",
    ]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const adapterConfig = JSON.parse(await readFile(join(out, "adapter", "adapter_config.json"), "utf8")) as {
      peft_type: string;
    };
    expect(adapterConfig.peft_type).toBe("LORA");
    expect(result.summary.some((l) => l.startsWith("1 "))).toBe(true);
    // The leakage probes ran against the final adapter: every canary ranked exactly, the attack scored.
    const leakage = result.metrics.leakage;
    expect(leakage?.canaries.map((c) => c.repetitions)).toEqual([1, 4, 16, 0, 0, 0, 0]);
    for (const c of leakage?.canaries ?? []) {
      expect(c.ranking.method).toBe("exact");
      expect(c.ranking.exposure).toBeGreaterThanOrEqual(0);
      expect(c.ranking.exposure).toBeLessThanOrEqual(Math.log2(1000));
    }
    expect(leakage?.membership.members).toBeGreaterThan(0);
    expect(leakage?.membership.nonMembers).toBe(leakage?.membership.members);
    expect(result.summary.some((l) => l.includes("membership AUC"))).toBe(true);
  });
});
