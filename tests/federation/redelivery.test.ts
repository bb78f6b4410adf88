// Idempotent step delivery: a poll response lost on the way back costs the site nothing, and a site
// that answered (or dropped) is never handed that stage's step again.
import { describe, expect, it } from "vitest";
import { MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import { describeAdapter } from "../../coordinator/server.ts";
import {
  checkTurn,
  markAnswered,
  markDelivered,
  markDropped,
  owesStep,
  startRound,
} from "../../coordinator/round/stages.ts";
import { createFixedPointCodec } from "../../crypto/codec.ts";
import { FederationError } from "../../proto/errors.ts";
import type { PollResponse, RoundRef } from "../../proto/messages.ts";
import type { FederationStub } from "../../proto/rpc.ts";
import type { DialFunction } from "../../proto/transport.ts";
import { BASE_MODEL_HASH, TINY_MODEL, createFederation } from "./helpers/federation.ts";
import { siteIds } from "../helpers/site-ids.ts";

const [a, b, c, z] = siteIds("a", "b", "c", "z");

const SITES = ["alpha", "beta", "gamma"];
/** Short deadlines: without re-delivery the lossy site would miss a stage and the try be abandoned. */
const DEADLINES = {
  joinMs: 20_000,
  trainMs: 4_000,
  advertiseKeysMs: 2_000,
  shareKeysMs: 2_000,
  unmaskMs: 2_000,
  evalMs: 4_000,
  keyCeremonyMs: 5_000,
};
type StepKind = PollResponse["step"];
/** Steps whose first delivery the lossy connection drops. */
const LOSE: readonly StepKind[] = ["train", "shareKeys", "maskedInput", "consistency", "unmask", "eval"];
/** The step each answer RPC answers. */
const ANSWERS = {
  advertiseKeys: "train",
  shareKeys: "shareKeys",
  submitUpdate: "maskedInput",
  signSurvivors: "consistency",
  unmask: "unmask",
  submitMetrics: "eval",
} as const satisfies Partial<Record<keyof FederationStub, StepKind>>;

function refOf(step: PollResponse): RoundRef | undefined {
  const body = (step as unknown as Record<string, { ref?: RoundRef } | undefined>)[step.step];
  return body?.ref;
}

function withoutDeadline(step: PollResponse | undefined): unknown {
  if (step === undefined) return undefined;
  const body = (step as unknown as Record<string, Record<string, unknown>>)[step.step] ?? {};
  return { step: step.step, body: { ...body, deadlineMs: 0 } };
}

interface Losses {
  /** The first response carrying each kind of step, dropped as if lost on the way back. */
  readonly lost: Map<StepKind, PollResponse>;
  /** The response that handed the same step again. */
  readonly again: Map<StepKind, PollResponse>;
  /** What a poll right after each answer returned: never the step just answered. */
  readonly probes: { answered: StepKind; ref: RoundRef | undefined; got: PollResponse }[];
}

/**
 * Real gRPC underneath; the first poll response carrying each kind of step is discarded and the call
 * fails with DEADLINE_EXCEEDED, as when the response is lost after the coordinator produced it. After
 * every answer the connection polls once more (waitMs 0) to see what the coordinator hands it then.
 */
function lossyDial(dial: DialFunction, losses: Losses): DialFunction {
  return (options) => {
    const connection = dial(options);
    const real = connection.federation;
    const held: PollResponse[] = [];
    const deliver = (response: PollResponse): PollResponse => {
      if (!LOSE.includes(response.step)) return response;
      if (!losses.lost.has(response.step)) {
        losses.lost.set(response.step, response);
        throw new FederationError("deadline_exceeded", "poll response lost (test)");
      }
      if (!losses.again.has(response.step)) losses.again.set(response.step, response);
      return response;
    };
    const probe = async (answered: StepKind, ref: RoundRef): Promise<void> => {
      const got = await real.poll({ waitMs: 0, ledger: null }, { deadlineMs: 5_000 });
      losses.probes.push({ answered, ref, got });
      // A step of the next stage is not the probe's to take: the site gets it at its next poll.
      if (got.step !== "wait") {
        try {
          held.push(deliver(got));
        } catch {
          // Lost: the coordinator must hand it again.
        }
      }
    };
    const federation: FederationStub = {
      ...real,
      poll: async (request, call) => {
        const next = held.shift();
        if (next !== undefined) return next;
        return deliver(await real.poll(request, call));
      },
      advertiseKeys: async (request, call) => {
        const ack = await real.advertiseKeys(request, call);
        await probe(ANSWERS.advertiseKeys, request.ref);
        return ack;
      },
      shareKeys: async (request, call) => {
        const ack = await real.shareKeys(request, call);
        await probe(ANSWERS.shareKeys, request.ref);
        return ack;
      },
      submitUpdate: async (parts, call) => {
        let ref: RoundRef | undefined;
        const watched = (async function* () {
          for await (const part of parts) {
            if (part.part === "header") ref = part.header.ref;
            yield part;
          }
        })();
        const ack = await real.submitUpdate(watched, call);
        if (ref !== undefined) await probe(ANSWERS.submitUpdate, ref);
        return ack;
      },
      signSurvivors: async (request, call) => {
        const ack = await real.signSurvivors(request, call);
        await probe(ANSWERS.signSurvivors, request.ref);
        return ack;
      },
      unmask: async (request, call) => {
        const ack = await real.unmask(request, call);
        await probe(ANSWERS.unmask, request.ref);
        return ack;
      },
      submitMetrics: async (request, call) => {
        const ack = await real.submitMetrics(request, call);
        await probe(ANSWERS.submitMetrics, request.ref);
        return ack;
      },
    };
    return { ...connection, federation };
  };
}

describe("step delivery in the round state machine", () => {
  it("owes a delivered step until the site answers or drops, and nothing after", () => {
    const ref = { round: 1, attempt: 1 };
    let state = startRound({
      kind: "train",
      ref,
      mode: "none",
      participants: [a, b, c],
      now: 0,
      deadlineMs: 100,
    });
    expect(owesStep(state, a)).toBe(true);
    state = markDelivered(state, a);
    expect(markDelivered(state, a)).toBe(state);
    // Delivered is not answered: a site whose poll response was lost polls again and is still owed.
    expect(owesStep(state, a)).toBe(true);
    state = markAnswered(checkTurn(state, a, ref, "collect_updates"), a);
    expect(owesStep(state, a)).toBe(false);
    state = markDropped(markDelivered(state, b), b);
    expect(owesStep(state, b)).toBe(false);
    expect(owesStep(state, c)).toBe(true);
    expect(owesStep(state, z)).toBe(false);
  });
});

describe("a site that loses poll responses in secagg mode over gRPC", () => {
  it("gets each lost step again, the same, and every round completes in its first try", async () => {
    const losses: Losses = { lost: new Map(), again: new Map(), probes: [] };
    const federation = await createFederation({
      sites: SITES,
      transport: "grpc",
      config: {
        rounds: 2,
        privacy: { mode: "secagg" },
        sitesPerRound: { fraction: 1, minimum: SITES.length },
        deadlines: DEADLINES,
      },
    });
    const running = SITES.map((name) =>
      federation.startSite(name, name === "alpha" ? { dial: lossyDial(federation.dial, losses) } : {}),
    );
    const summary = await federation.coordinator.done;
    const results = await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();

    expect(summary.outcome).toBe("completed");
    expect(summary.rounds.map((r) => [r.round, r.attempt, r.kind, r.outcome, r.dropouts])).toEqual([
      [1, 1, "train", "completed", 0],
      [2, 1, "train", "completed", 0],
      [3, 1, "eval", "completed", 0],
    ]);
    expect(results.map((r) => r.roundsContributed)).toEqual([2, 2, 2]);
    // Every kind of step was lost once and handed again: SecAgg messages exactly as first sent,
    // tasks the same but for the deadline, counted from the later poll.
    expect([...losses.lost.keys()].sort()).toEqual([...LOSE].sort());
    for (const kind of LOSE) {
      const lost = losses.lost.get(kind);
      const again = losses.again.get(kind);
      expect(again, kind).toBeDefined();
      if (kind === "train" || kind === "eval") {
        expect(withoutDeadline(again)).toEqual(withoutDeadline(lost));
      } else {
        expect(again).toEqual(lost);
      }
    }
    // Once answered, a stage's step is never handed again.
    expect(losses.probes.length).toBeGreaterThanOrEqual(11);
    for (const probe of losses.probes) {
      const ref = refOf(probe.got);
      const repeated =
        probe.got.step === probe.answered &&
        ref?.round === probe.ref?.round &&
        ref?.attempt === probe.ref?.attempt;
      expect(repeated, `${probe.answered} handed again after the answer`).toBe(false);
    }

    // The rounds equal the plain weighted average of every site's updates (nothing taken twice).
    const adapter = describeAdapter(TINY_MODEL, { ...federation.config.lora }, BASE_MODEL_HASH, null);
    const state = DurableState.open(federation.config.storageDir, adapter.spec);
    try {
      const checkpoint = await state.checkpoint(2);
      if (checkpoint?.model.kind !== "plain") throw new Error("no checkpoint of round 2");
      const d = checkpoint.model.vector.length;
      const expected = new Float64Array(d);
      let weight = 0;
      for (let round = 0; round < 2; round++) {
        weight = 0;
        const weighted = new Float64Array(d);
        for (const site of SITES) {
          const update = federation.updates.get(site)?.[round];
          if (update === undefined) throw new Error(`${site} has no update for round ${round + 1}`);
          for (let i = 0; i < d; i++)
            weighted[i] = (weighted[i] ?? 0) + update.numExamples * (update.delta[i] ?? 0);
          weight += update.numExamples;
        }
        for (let i = 0; i < d; i++) expected[i] = (expected[i] ?? 0) + (weighted[i] ?? 0) / weight;
      }
      for (const site of SITES) expect(federation.updates.get(site)).toHaveLength(2);
      const codec = createFixedPointCodec({ clipRange: 1, maxSummands: SITES.length });
      const tolerance = (2 * codec.maxAbsError(SITES.length, true)) / (weight / MAX_EXAMPLES) + 1e-7;
      for (let i = 0; i < d; i++) {
        expect(Math.abs((checkpoint.model.vector[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(tolerance);
      }
    } finally {
      state.close();
    }
  });
});

describe("a site that left a try on its own", () => {
  it("is handed the step again while it owes the answer, but takes it only once and does not poll hot", async () => {
    const federation = await createFederation({
      sites: SITES,
      transport: "grpc",
      config: {
        rounds: 1,
        privacy: { mode: "none" },
        sitesPerRound: { fraction: 1, minimum: 2 },
        deadlines: { ...DEADLINES, trainMs: 1_500 },
      },
    });
    let hookCalls = 0;
    const handed: PollResponse[] = [];
    const running = SITES.map((name) =>
      federation.startSite(
        name,
        name !== "gamma"
          ? {}
          : {
              dial: (options) => {
                const connection = federation.dial(options);
                const real = connection.federation;
                const poll: FederationStub["poll"] = async (request, call) => {
                  const response = await real.poll(request, call);
                  handed.push(response);
                  return response;
                };
                return { ...connection, federation: { ...real, poll } };
              },
              faults: {
                beforeStage: (stage, ref) => {
                  if (stage !== "train" || ref.round !== 1) return "continue";
                  hookCalls++;
                  return "drop";
                },
              },
            },
      ),
    );
    const summary = await federation.coordinator.done;
    const results = await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.rounds.map((r) => [r.round, r.kind, r.outcome, r.dropouts])).toEqual([
      [1, "train", "completed", 1],
      [2, "eval", "completed", 0],
    ]);
    expect(results.map((r) => r.roundsContributed)).toEqual([1, 1, 0]);
    const trainSteps = handed.filter((step) => step.step === "train");
    // The coordinator kept handing gamma its task until the deadline (it never answered) …
    expect(trainSteps.length).toBeGreaterThanOrEqual(2);
    // … and gamma ran it once, pausing between polls instead of spinning for the 1.5 s.
    expect(hookCalls).toBe(1);
    expect(trainSteps.length).toBeLessThanOrEqual(4);
  });
});
