// A site whose external trainer fails declines the task over gRPC: nothing uploaded, the reason recorded, the site stays on.
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { externalTrainerFactory } from "../../client/external/external-trainer.ts";
import type { Example } from "../../client/data/rows.ts";
import type { SiteClientOptions } from "../../client/node/site-client.ts";
import { describeAdapter } from "../../coordinator/server.ts";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import { charTokenizer } from "../client/fake-tokenizer.ts";
import { silentLogger } from "../client/fixtures.ts";
import {
  BASE_MODEL_HASH,
  TINY_MODEL,
  createFederation,
  type Federation,
} from "../federation/helpers/federation.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const SITES = ["alpha", "beta", "gamma"];
const FAILING = "gamma";
const FAST_DEADLINES = {
  joinMs: 20_000,
  trainMs: 20_000,
  advertiseKeysMs: 20_000,
  shareKeysMs: 10_000,
  unmaskMs: 10_000,
  evalMs: 20_000,
  keyCeremonyMs: 20_000,
};

/** Token-id rows over TINY_MODEL's 32-token vocabulary. */
function rows(count: number): Example[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: "input_ids",
    inputIds: Array.from({ length: 8 }, (_, t) => 3 + ((i + t) % 29)),
    source: { file: "gamma.jsonl", line: i + 1 },
  }));
}

/** Site options whose trainer is an external command that crashes on every task. */
function crashingTrainer(federation: Federation): Partial<SiteClientOptions> {
  return {
    createTrainer: externalTrainerFactory({
      trainer: {
        command: [process.execPath, "bin/run-ts.mjs", "tests/external/misbehaving-trainer.ts", "crash"],
        cwd: REPO,
        timeoutSeconds: 60,
        env: {},
      },
      baseModelDir: "/nonexistent-model",
      modelConfig: TINY_MODEL,
      tokenizer: charTokenizer,
      train: rows(6),
      validation: rows(3),
      workDir: join(federation.dir, "sites", FAILING, "trainer-tasks"),
      logger: silentLogger,
    }),
  };
}

describe("a site whose external trainer crashes", () => {
  it("declines each task with the failure's summary; the rounds go on with the others, nothing of it is uploaded", async () => {
    const federation = await createFederation({
      sites: SITES,
      transport: "grpc",
      config: {
        rounds: 2,
        privacy: { mode: "secagg" },
        sitesPerRound: { fraction: 1, minimum: 2 },
        deadlines: FAST_DEADLINES,
      },
    });
    const handles = SITES.map((site) =>
      federation.startSite(site, site === FAILING ? crashingTrainer(federation) : {}),
    );
    const summary = await federation.coordinator.done;
    const sites = await Promise.all(handles.map((handle) => handle.done));
    await federation.coordinator.stop();

    expect(summary.outcome).toBe("completed");
    expect(summary.rounds.map((r) => [r.round, r.kind, r.outcome, r.participants - r.dropouts])).toEqual([
      [1, "train", "completed", 2],
      [2, "train", "completed", 2],
      [3, "eval", "completed", 2],
    ]);
    // The failing site stayed joined to the end, and contributed nothing.
    expect(sites.map((s) => [s.outcome, s.roundsContributed])).toEqual([
      ["finished", 2],
      ["finished", 2],
      ["finished", 0],
    ]);
    const gammaEvents = federation.siteEvents.get(FAILING) ?? [];
    expect(gammaEvents.filter((e) => e.type === "submitted" || e.type === "trained")).toEqual([]);
    expect(gammaEvents.filter((e) => e.type === "declined").map((e) => e.ref.round)).toEqual([1, 2, 3]);

    const declines = federation.coordinatorEvents.flatMap((e) =>
      e.type === "site_declined" ? [[e.ref.round, e.siteId, e.reason, e.detail]] : [],
    );
    expect(declines).toEqual(
      [1, 2, 3].map((round) => [round, FAILING, "trainer_failure", "external trainer exited with 1"]),
    );
    for (const event of federation.coordinatorEvents)
      if (event.type === "round_completed") expect(event.survivors).not.toContain(FAILING);

    // The coordinator's audit log keeps the reason and the summary (never the trainer's output).
    const adapter = describeAdapter(TINY_MODEL, { ...federation.config.lora }, BASE_MODEL_HASH, null);
    const state = DurableState.open(federation.config.storageDir, adapter.spec);
    try {
      const audited = state
        .auditEntries(1)
        .filter((entry) => entry.kind === "site_declined")
        .map((entry) => JSON.parse(entry.detailsJson) as Record<string, unknown>);
      expect(audited).toHaveLength(3);
      for (const entry of audited)
        expect(entry).toMatchObject({
          siteId: FAILING,
          reason: "trainer_failure",
          detail: "external trainer exited with 1",
        });
      expect(JSON.stringify(audited)).not.toContain("CUDA");
    } finally {
      state.close();
    }
  }, 180_000);

  it("leaves too few sites: the round is abandoned and retried, then the run fails cleanly, with nothing aggregated", async () => {
    const sites = ["alpha", FAILING];
    const federation = await createFederation({
      sites,
      transport: "grpc",
      config: {
        rounds: 1,
        privacy: { mode: "secagg" },
        sitesPerRound: { fraction: 1, minimum: 2 },
        maxAttemptsPerRound: 2,
        deadlines: FAST_DEADLINES,
      },
    });
    const handles = sites.map((site) =>
      federation.startSite(site, site === FAILING ? crashingTrainer(federation) : {}),
    );
    const summary = await federation.coordinator.done;
    await Promise.all(handles.map((handle) => handle.stop()));
    await federation.coordinator.stop();

    expect(summary.outcome).toBe("failed");
    expect(summary.completedRounds).toBe(0);
    expect(summary.rounds.map((r) => [r.round, r.attempt, r.outcome])).toEqual([
      [1, 1, "abandoned"],
      [1, 2, "abandoned"],
    ]);
    const declines = federation.coordinatorEvents.flatMap((e) =>
      e.type === "site_declined" ? [[e.ref.attempt, e.siteId, e.reason]] : [],
    );
    expect(declines).toEqual([
      [1, FAILING, "trainer_failure"],
      [2, FAILING, "trainer_failure"],
    ]);
    expect(federation.coordinatorEvents.some((e) => e.type === "round_completed")).toBe(false);
  }, 180_000);
});
