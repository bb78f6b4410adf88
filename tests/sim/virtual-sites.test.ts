// Virtual sites (worker threads, many sites per thread) and process sites run the same federation: same seed, same global adapter.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoordinatorStore, STORE_FILE } from "../../coordinator/storage/store.ts";
import { parseSimOptions } from "../../sim/options.ts";
import type { SimOptionsInput } from "../../sim/options.ts";
import type { SimEvent } from "../../sim/progress.ts";
import { runSimulation } from "../../sim/runner.ts";
import { writeTinyModel } from "./tiny-model.ts";

let root: string;
let modelDir: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "fedtune-virtual-"));
  modelDir = join(root, "model");
  await writeTinyModel(modelDir);
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function simulate(name: string, hosting: Partial<SimOptionsInput>) {
  const out = join(root, name);
  const events: SimEvent[] = [];
  const result = await runSimulation(
    parseSimOptions({
      seed: 5,
      sites: 4,
      participation: 0.5,
      rounds: 1,
      privacy: "secagg",
      localSteps: 1,
      examplesPerSite: 12,
      seqLen: 320,
      batchSize: 4,
      evaluateEvery: 1,
      model: modelDir,
      out,
      ...hosting,
    }),
    pino({ level: "silent" }),
    (event) => events.push(event),
  );
  return { result, events, adapter: await readFile(join(out, "adapter", "adapter_model.safetensors")) };
}

describe("virtual sites", () => {
  it("give the same global adapter as site processes, with half the sites picked per round", async () => {
    const processes = await simulate("process", { isolation: "process", workers: 1 });
    const threads = await simulate("thread", { isolation: "thread", workers: 1 });
    expect(threads.events).toContainEqual({
      type: "step",
      text: "starting 4 site clients in 1 worker threads",
    });
    for (const run of [processes, threads]) {
      expect(run.result.metrics.rounds.map((r) => r.participants)).toEqual([2]);
    }
    expect(threads.adapter.equals(processes.adapter)).toBe(true);
    expect(threads.result.metrics.rounds.map((r) => r.global)).toEqual(
      processes.result.metrics.rounds.map((r) => r.global),
    );
  }, 300_000);

  it("start the first round once every site has joined, so that it picks among all of them", async () => {
    await simulate("first-round", { isolation: "thread", workers: 1, sites: 8, participation: 0.25 });
    const store = CoordinatorStore.open(join(root, "first-round", "coordinator-state", STORE_FILE));
    try {
      const joined = store.listSites().map((site) => Date.parse(site.joinedAt));
      const first = store.listRounds().find((r) => r.round === 1);
      expect(joined).toHaveLength(8);
      expect(first?.participants).toHaveLength(2);
      expect(Date.parse(first?.openedAt ?? "")).toBeGreaterThanOrEqual(Math.max(...joined));
    } finally {
      store.close();
    }
  }, 300_000);
});
