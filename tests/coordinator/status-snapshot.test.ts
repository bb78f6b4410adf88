// gatherStatus: the run in progress first then past runs newest first, only the charted totals of a round,
// and the ε bound of client-level DP as the accountant composes one q = 1 step per training try picked.
import { describe, expect, it } from "vitest";
import type { RoundView } from "../../coordinator/service/records.ts";
import { gatherStatus, type RunSource, type SiteSource } from "../../coordinator/status/snapshot.ts";
import { computeEpsilon } from "../../crypto/dp/accountant.ts";
import { parseSiteId } from "../../crypto/site-id.ts";

function round(round: number, kind: RoundView["kind"], metrics: Record<string, number> = {}): RoundView {
  return {
    runId: 1,
    round,
    trainingRound: 1,
    attempt: 1,
    kind,
    outcome: "completed",
    participants: 3,
    dropouts: 0,
    checkpointSha256: "",
    metrics,
    reason: "",
  };
}

function run(
  id: string,
  state: RunSource["state"],
  rounds: readonly RoundView[] = [],
  siteLevelDp: RunSource["siteLevelDp"] = undefined,
): RunSource {
  return {
    id,
    state,
    privacyMode: "secagg",
    strategy: "fedavg",
    trainingRounds: 2,
    siteLevelDp,
    inProgress: undefined,
    rounds,
    bytesOf: (r) => (r === 1 ? { in: 780, out: 768 } : undefined),
  };
}

const site = (name: string, picked: Record<string, number>): SiteSource => ({
  siteId: parseSiteId(name),
  joinedAt: "2026-01-01T00:00:00.000Z",
  lastSeen: "2026-01-01T00:00:00.000Z",
  roundsContributed: Object.values(picked).reduce((sum, tries) => sum + tries, 0),
  roundsDropped: 0,
  ledger: null,
  online: true,
  standing: "active",
  trainingTriesPicked: new Map(Object.entries(picked)),
});

describe("gatherStatus", () => {
  it("lists the running run first, then past runs newest first, with each round's totals and bytes", () => {
    const evaluation = round(2, "eval", { loss: 1.25, accuracy: 0.5, examples: 103, train_loss: 0.9 });
    const snapshot = gatherStatus(
      {
        federation: "f",
        runs: () => [
          run("1", "finished"),
          run("2", "failed"),
          run("3", "running", [round(1, "train"), evaluation]),
          run("4", "queued"),
        ],
        sites: () => [site("alpha", { "3": 2 })],
      },
      new Date("2026-01-01T00:00:01.000Z"),
    );
    expect(snapshot.runs.map((r) => r.id)).toEqual(["3", "4", "2", "1"]);
    expect(snapshot.runs[0]?.completedTrainingRounds).toBe(1);
    const [training, evaluated] = snapshot.runs[0]?.rounds ?? [];
    expect(training).toMatchObject({ round: 1, bytesIn: 780, bytesOut: 768, loss: null, accuracy: null });
    // Exactly these fields: the charted totals, nothing else a round's metrics hold.
    expect(evaluated).toEqual({
      round: 2,
      attempt: 1,
      kind: "eval",
      outcome: "completed",
      participants: 3,
      dropouts: 0,
      bytesIn: null,
      bytesOut: null,
      loss: 1.25,
      accuracy: 0.5,
    });
    expect(snapshot.sites[0]?.epsilonSpent).toBeNull();
  });

  it("bounds ε under client-level DP by one q = 1 Gaussian step per training try picked, composed over runs", () => {
    const snapshot = gatherStatus({
      federation: "f",
      runs: () => [
        run("1", "finished", [], { noiseMultiplier: 1.1, delta: 1e-5 }),
        run("2", "finished"),
        run("3", "running", [], { noiseMultiplier: 2, delta: 1e-6 }),
      ],
      sites: () => [site("alpha", {}), site("beta", { "1": 5, "2": 4, "3": 3 })],
    });
    expect(snapshot.sites[0]?.epsilonSpent).toBe(0);
    // Run 2 had no client-level DP: its tries charge nothing here; the latest DP run's δ is the one reported.
    const expected = computeEpsilon({
      blocks: [
        { samplingRate: 1, noiseMultiplier: 1.1, steps: 5 },
        { samplingRate: 1, noiseMultiplier: 2, steps: 3 },
      ],
      delta: 1e-6,
    }).epsilon;
    expect(snapshot.sites[1]?.epsilonSpent).toBeCloseTo(expected, 12);
    expect(snapshot.sites[1]?.epsilonReported).toBeNull();
  });

  it("leaves the ε bound empty when no run used client-level DP", () => {
    const snapshot = gatherStatus({
      federation: "f",
      runs: () => [run("1", "finished")],
      sites: () => [site("alpha", { "1": 2 })],
    });
    expect(snapshot.sites[0]?.epsilonSpent).toBeNull();
  });
});
