// gatherStatus: the run in progress first then past runs newest first, only the charted totals of a round,
// and the ε bound of client-level DP as the accountant composes one q = 1 step per training try picked.
import { describe, expect, it } from "vitest";
import type { RoundView } from "../../coordinator/service/records.ts";
import { gatherStatus, type RunSource, type SiteSource } from "../../coordinator/status/snapshot.ts";
import { computeEpsilon } from "../../crypto/dp/accountant.ts";
import { parseSiteId } from "../../crypto/site-id.ts";

function round(round: number, kind: RoundView["kind"], metrics: Record<string, number> = {}): RoundView {
  return {
    round,
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

function run(id: string, state: RunSource["state"], rounds: readonly RoundView[] = []): RunSource {
  return {
    id,
    state,
    privacyMode: "secagg",
    strategy: "fedavg",
    trainingRounds: 2,
    inProgress: undefined,
    rounds,
    bytesOf: (r) => (r === 1 ? { in: 780, out: 768 } : undefined),
  };
}

const site = (name: string, trainingTriesPicked: number): SiteSource => ({
  siteId: parseSiteId(name),
  joinedAt: "2026-01-01T00:00:00.000Z",
  lastSeen: "2026-01-01T00:00:00.000Z",
  roundsContributed: trainingTriesPicked,
  roundsDropped: 0,
  online: true,
  revoked: false,
  trainingTriesPicked,
});

describe("gatherStatus", () => {
  it("lists the running run first, then past runs newest first, with each round's totals and bytes", () => {
    const evaluation = round(2, "eval", { loss: 1.25, accuracy: 0.5, examples: 103, train_loss: 0.9 });
    const snapshot = gatherStatus(
      {
        federation: "f",
        siteLevelDp: undefined,
        runs: () => [
          run("1", "completed"),
          run("2", "failed"),
          run("3", "running", [round(1, "train"), evaluation]),
        ],
        sites: () => [site("alpha", 2)],
      },
      new Date("2026-01-01T00:00:01.000Z"),
    );
    expect(snapshot.runs.map((r) => r.id)).toEqual(["3", "2", "1"]);
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

  it("bounds ε under client-level DP by one q = 1 Gaussian step per training try picked", () => {
    const dp = { noiseMultiplier: 1.1, delta: 1e-5 };
    const snapshot = gatherStatus({
      federation: "f",
      siteLevelDp: dp,
      runs: () => [],
      sites: () => [site("alpha", 0), site("beta", 5)],
    });
    expect(snapshot.sites[0]?.epsilonSpent).toBe(0);
    const expected = computeEpsilon({
      blocks: [{ samplingRate: 1, noiseMultiplier: 1.1, steps: 5 }],
      delta: 1e-5,
    }).epsilon;
    expect(snapshot.sites[1]?.epsilonSpent).toBeCloseTo(expected, 12);
  });
});
