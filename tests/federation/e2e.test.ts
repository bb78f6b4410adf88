// End to end on loopback: a coordinator and three sites run training and evaluation rounds in each privacy mode
// over each transport.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import { describeAdapter } from "../../coordinator/server.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import { createFixedPointCodec } from "../../crypto/codec.ts";
import type { PrivacyMode } from "../../proto/messages.ts";
import {
  BASE_MODEL_HASH,
  TINY_MODEL,
  createFederation,
  expectedFedAvg,
  type TransportKind,
} from "./helpers/federation.ts";

const SITES = ["alpha", "beta", "gamma"];

async function runFederation(mode: PrivacyMode, transport: TransportKind, ckks?: CkksContext) {
  const federation = await createFederation({
    sites: SITES,
    transport,
    config: { rounds: 2, privacy: { mode }, sitesPerRound: { fraction: 1, minimum: 3 } },
    ...(ckks === undefined ? {} : { ckks }),
  });
  const sites = SITES.map((name) => federation.startSite(name));
  const summary = await federation.coordinator.done;
  const siteSummaries = await Promise.all(sites.map((site) => site.done));
  await federation.coordinator.stop();
  return { federation, summary, siteSummaries };
}

let ckks: CkksContext;
beforeAll(async () => {
  ckks = createCkksContext(await loadSeal());
});
afterAll(() => ckks.dispose());

// Every pair of privacy mode × transport: the simulation runs in-memory, deployments over gRPC.
const PAIRS = (["none", "secagg", "he"] as const).flatMap((mode) =>
  (["in-memory", "grpc"] as const).map((transport): [PrivacyMode, TransportKind] => [mode, transport]),
);

describe.each<[PrivacyMode, TransportKind]>(PAIRS)("federation in mode %s over %s", (mode, transport) => {
  it("runs two training rounds and an evaluation round with three sites", async () => {
    const { federation, summary, siteSummaries } = await runFederation(
      mode,
      transport,
      mode === "he" ? ckks : undefined,
    );
    expect(summary.outcome).toBe("completed");
    expect(summary.rounds.map((r) => [r.round, r.kind, r.outcome])).toEqual([
      [1, "train", "completed"],
      [2, "train", "completed"],
      [3, "eval", "completed"],
    ]);
    expect(siteSummaries.map((s) => s.outcome)).toEqual(["finished", "finished", "finished"]);
    expect(siteSummaries.map((s) => s.roundsContributed)).toEqual([2, 2, 2]);
    expect(summary.rounds[2]?.metrics["accuracy"]).toBeCloseTo(0.5);
    const expected = expectedFedAvg(federation, SITES, 2);
    if (mode === "he") {
      // The coordinator holds only ciphertexts: each site decrypts the aggregates and rebuilds the adapter.
      expect(summary.rounds[1]?.checkpointSha256).toMatch(/^[0-9a-f]{64}$/);
      for (const site of SITES) {
        const global = federation.evaluated.get(site)?.[0];
        if (global === undefined) throw new Error(`${site} did not evaluate`);
        for (let i = 0; i < expected.length; i++) {
          expect(Math.abs((global[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(1e-5);
        }
      }
      return;
    }
    const adapter = describeAdapter(TINY_MODEL, { ...federation.config.lora }, BASE_MODEL_HASH, null);
    const state = DurableState.open(federation.config.storageDir, adapter.spec);
    try {
      const checkpoint = await state.checkpoint(2);
      if (checkpoint?.model.kind !== "plain") throw new Error("no plain checkpoint for round 2");
      // secagg: each round's Σw·Δ carries at most one codec step per site (stochastic rounding,
      // crypto/codec.ts maxAbsError), divided by Σw = Σ n_k / MAX_EXAMPLES.
      const totalWeight =
        SITES.reduce((sum, site) => sum + (federation.updates.get(site)?.[0]?.numExamples ?? 0), 0) /
        MAX_EXAMPLES;
      const codec = createFixedPointCodec({ clipRange: 1, maxSummands: SITES.length });
      const tolerance =
        mode === "secagg" ? (2 * codec.maxAbsError(SITES.length, true)) / totalWeight + 1e-7 : 1e-7;
      for (let i = 0; i < expected.length; i++) {
        expect(Math.abs((checkpoint.model.vector[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(tolerance);
      }
      expect(state.verifyAudit().ok).toBe(true);
    } finally {
      state.close();
    }
  });
});
