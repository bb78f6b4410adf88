// Per-round figures from the coordinator's events, and the progress lines the simulation prints.
import { describe, expect, it } from "vitest";
import type { CoordinatorEvent } from "../../coordinator/service/records.ts";
import { RoundCollector } from "../../sim/collector.ts";
import { createProgressDisplay } from "../../sim/progress.ts";
import { siteIds } from "../helpers/site-ids.ts";

const [a, b, c] = siteIds("a", "b", "c");

describe("RoundCollector", () => {
  it("sums bytes and stage times per training round, counting abandoned tries and pre-round traffic", () => {
    let clock = 0;
    const collector = new RoundCollector(() => clock);
    const ref = (round: number, attempt = 1) => ({ round, attempt });
    const events: CoordinatorEvent[] = [
      { type: "site_joined", siteId: a },
      { type: "bytes", direction: "in", bytes: 100 },
      { type: "round_started", ref: ref(1), kind: "train", participants: [a, b, c] },
      { type: "bytes", direction: "out", bytes: 1000 },
      {
        type: "stage_closed",
        ref: ref(1),
        stage: "collect_updates",
        answered: 1,
        dropouts: [b, c],
        durationMs: 50,
      },
      { type: "round_abandoned", ref: ref(1), reason: "too few", dropouts: [b, c] },
      { type: "round_started", ref: ref(1, 2), kind: "train", participants: [a, b, c] },
      { type: "bytes", direction: "in", bytes: 300 },
      {
        type: "stage_closed",
        ref: ref(1, 2),
        stage: "collect_updates",
        answered: 2,
        dropouts: [c],
        durationMs: 70,
      },
    ];
    for (const e of events) expect(collector.handle(e)).toBeUndefined();
    clock = 500;
    const done = collector.handle({
      type: "round_completed",
      ref: ref(1, 2),
      kind: "train",
      trainingRound: 1,
      survivors: [a, b],
      dropouts: [c],
      metrics: { loss: 1.5 },
      checkpointSha256: "ab",
      durationMs: 400,
    });
    expect(done).toEqual({
      round: 1,
      participants: 3,
      dropouts: 1,
      bytesSent: 400,
      bytesReceived: 1000,
      stageDurationsMs: { collect_updates: 120 },
      wallTimeMs: 500,
      checkpointSha256: "ab",
      metrics: { loss: 1.5 },
    });
    expect(
      collector.handle({
        type: "round_completed",
        ref: ref(2),
        kind: "eval",
        trainingRound: 1,
        survivors: [],
        dropouts: [],
        metrics: {},
        checkpointSha256: "",
        durationMs: 1,
      }),
    ).toBeUndefined();
    expect(collector.rounds).toHaveLength(1);
  });

  it("counts an evaluation round's SecAgg+ stages as the evaluation of the round it scores", () => {
    const collector = new RoundCollector(() => 0);
    const ref = (round: number) => ({ round, attempt: 1 });
    const closed = (round: number, stage: "advertise_keys" | "unmask", durationMs: number) =>
      ({ type: "stage_closed", ref: ref(round), stage, answered: 2, dropouts: [], durationMs }) as const;
    collector.handle({ type: "round_started", ref: ref(1), kind: "train", participants: [a, b] });
    collector.handle(closed(1, "advertise_keys", 40));
    collector.handle(closed(1, "unmask", 10));
    collector.handle({
      type: "round_completed",
      ref: ref(1),
      kind: "train",
      trainingRound: 1,
      survivors: [a, b],
      dropouts: [],
      metrics: {},
      checkpointSha256: "ab",
      durationMs: 50,
    });
    collector.handle({ type: "round_started", ref: ref(2), kind: "eval", participants: [a, b] });
    collector.handle(closed(2, "advertise_keys", 300));
    collector.handle(closed(2, "unmask", 5));
    expect(collector.rounds[0]?.stageDurationsMs).toEqual({
      advertise_keys: 40,
      unmask: 10,
      collect_metrics: 305,
    });
  });
});

describe("progress display", () => {
  it("prints one timestamped line per event", () => {
    const lines: string[] = [];
    let clock = 1000;
    const show = createProgressDisplay(
      (l) => lines.push(l),
      () => clock,
    );
    clock = 3500;
    show({ type: "stage", round: 2, rounds: 5, stage: "share_keys", expected: 8 });
    show({
      type: "round",
      round: 2,
      rounds: 5,
      participants: 8,
      dropouts: 1,
      wallTimeMs: 12_000,
      globalAccuracy: 0.5,
    });
    expect(lines).toEqual([
      "[   2.5 s] round 2/5 · share_keys · 8 sites",
      "[   2.5 s] round 2/5 done in 12.0 s · 8 sites, 1 dropped · global test accuracy 50.0%",
    ]);
  });
});
