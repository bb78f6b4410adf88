// The pure round state machine and run plan: turns, deadlines as dropouts, abandonment, seeded selection.
import { describe, expect, it } from "vitest";
import { evaluatesAfter, planRounds, pickParticipants } from "../../coordinator/round/plan.ts";
import {
  checkTurn,
  closeStage,
  firstStageDeadlineMs,
  markAnswered,
  markDropped,
  pendingSites,
  stageClosable,
  stageSequence,
  startRound,
} from "../../coordinator/round/stages.ts";
import { seededRng } from "../../crypto/rng.ts";
import { FederationError, OutOfPhaseError } from "../../proto/errors.ts";
import { siteIds } from "../helpers/site-ids.ts";

const [a, b, c, d, z] = siteIds("a", "b", "c", "d", "z");

const ref = { round: 1, attempt: 1 };

describe("the round state machine", () => {
  it("walks the SecAgg+ stages, turning stragglers into dropouts at each deadline", () => {
    let state = startRound({
      kind: "train",
      ref,
      mode: "secagg",
      participants: [a, b, c, d],
      now: 0,
      deadlineMs: 100,
    });
    expect(state.stage.name).toBe("advertise_keys");
    for (const site of [a, b, c]) state = markAnswered(checkTurn(state, site, ref, "advertise_keys"), site);
    expect(stageClosable(state, 50)).toBe(false);
    expect(stageClosable(state, 100)).toBe(true);
    const next = closeStage(state, 100, 3, 10);
    if (next.outcome !== "next") throw new Error(next.outcome);
    expect(next.state.stage.name).toBe("share_keys");
    expect(next.dropouts).toEqual(["d"]);
    expect([...next.state.stage.expected].sort()).toEqual(["a", "b", "c"]);
    expect(() => checkTurn(next.state, d, ref, "share_keys")).toThrow(FederationError);
  });

  it("runs evaluation tries through SecAgg+ in secagg and he mode", () => {
    const deadlines = {
      trainMs: 1_000,
      advertiseKeysMs: 10,
      shareKeysMs: 20,
      unmaskMs: 30,
      evalMs: 500,
    };
    expect(stageSequence("eval", "none")).toEqual(["collect_metrics"]);
    for (const mode of ["secagg", "he"] as const) {
      expect(stageSequence("eval", mode)).toEqual(stageSequence("train", "secagg"));
      // The advertise stage of an evaluation covers scoring, not training.
      expect(firstStageDeadlineMs("eval", mode, deadlines)).toBe(510);
    }
    expect(firstStageDeadlineMs("train", "secagg", deadlines)).toBe(1_010);
    const evaluation = startRound({
      kind: "eval",
      ref,
      mode: "he",
      participants: [a, b, c],
      now: 0,
      deadlineMs: 100,
    });
    const answered = markDropped(markAnswered(evaluation, a), c);
    // a answered advertise_keys; b still owes it and c dropped.
    expect(pendingSites(answered)).toEqual(["b"]);
  });

  it("refuses out-of-stage, stale and repeated messages without changing state", () => {
    const state = startRound({
      kind: "train",
      ref,
      mode: "none",
      participants: [a, b],
      now: 0,
      deadlineMs: 100,
    });
    expect(() => checkTurn(state, a, ref, "unmask")).toThrow(OutOfPhaseError);
    expect(() => checkTurn(state, a, { round: 1, attempt: 2 }, "collect_updates")).toThrow(/round 1 try 1/);
    expect(() => checkTurn(state, z, ref, "collect_updates")).toThrow(/not a participant/);
    const answered = markAnswered(state, a);
    expect(() => checkTurn(answered, a, ref, "collect_updates")).toThrow(/already answered/);
    expect(pendingSites(state)).toEqual(["a", "b"]);
  });

  it("abandons a try with too few survivors and completes one with enough", () => {
    const state = startRound({
      kind: "train",
      ref,
      mode: "none",
      participants: [a, b, c],
      now: 0,
      deadlineMs: 10,
    });
    const declined = markAnswered(markDropped(state, b), a);
    const abandoned = closeStage(declined, 10, 2, 10);
    expect(abandoned.outcome).toBe("abandon");
    expect(abandoned.dropouts).toEqual(["b", "c"]);
    const enough = closeStage(markAnswered(declined, c), 10, 2, 10);
    expect(enough).toEqual({ outcome: "complete", survivors: ["a", "c"], dropouts: ["b"] });
  });
});

describe("the run plan and participant selection", () => {
  it("interleaves evaluation rounds and tracks the adapter version", () => {
    expect(planRounds(3, 2)).toEqual([
      { round: 1, kind: "train", baseVersion: 0, trainingRound: 1 },
      { round: 2, kind: "train", baseVersion: 1, trainingRound: 2 },
      { round: 3, kind: "eval", baseVersion: 2, trainingRound: 2 },
      { round: 4, kind: "train", baseVersion: 2, trainingRound: 3 },
      { round: 5, kind: "eval", baseVersion: 4, trainingRound: 3 },
    ]);
    const after = (rounds: number, every: number) =>
      Array.from({ length: rounds }, (_, i) => i + 1).filter((t) => evaluatesAfter(t, rounds, every));
    expect(after(7, 3)).toEqual([3, 6, 7]);
    expect(after(6, 3)).toEqual([3, 6]);
    expect(after(4, 0)).toEqual([4]);
  });

  it("picks max(minimum, ⌈fraction·n⌉) sites, deterministically for a seed", () => {
    const sites = siteIds("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    const picked = pickParticipants(sites, 0.3, 2, seededRng(1));
    expect(picked).toHaveLength(3);
    expect(pickParticipants(sites, 0.3, 2, seededRng(1))).toEqual(picked);
    expect(pickParticipants(sites, 0.1, 4, seededRng(2))).toHaveLength(4);
    expect(pickParticipants([a], 1, 2, seededRng(3))).toBeUndefined();
  });
});
