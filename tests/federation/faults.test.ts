// Faults: a site killed mid-round in secagg mode, a coordinator restarted mid-run, bad and out-of-stage messages.
import { describe, expect, it } from "vitest";
import { MAX_EXAMPLES } from "../../strategies/weighted-update.ts";
import { createFixedPointCodec } from "../../crypto/codec.ts";
import { FederationError } from "../../proto/errors.ts";
import type { Connection } from "../../proto/transport.ts";
import { createFederation, globalAt } from "./helpers/federation.ts";

const FAST_DEADLINES = {
  joinMs: 20_000,
  trainMs: 4_000,
  advertiseKeysMs: 2_000,
  shareKeysMs: 2_000,
  unmaskMs: 2_000,
  evalMs: 2_000,
  keyCeremonyMs: 5_000,
};

describe("a site killed mid-round in secagg mode", () => {
  it("completes the round with the survivors, whose plain weighted sum the result equals within the codec's error", async () => {
    const sites = ["alpha", "beta", "gamma", "delta"];
    const federation = await createFederation({
      sites,
      transport: "grpc",
      config: {
        rounds: 1,
        privacy: { mode: "secagg" },
        sitesPerRound: { fraction: 1, minimum: 3 },
        deadlines: FAST_DEADLINES,
      },
    });
    const survivors = sites.slice(0, 3);
    const running = survivors.map((name) => federation.startSite(name));
    // delta shares its keys, then dies before sending its masked input: its pairwise masks must be
    // reconstructed from its neighbours' shares (Bonawitz et al. 2017, round 4).
    const victim: { stop?: () => Promise<unknown> } = {};
    const killed = federation.startSite("delta", {
      faults: {
        beforeStage: (stage) => {
          if (stage !== "masked_input") return "continue";
          void victim.stop?.();
          return "drop";
        },
      },
    });
    victim.stop = () => killed.stop();
    const summary = await federation.coordinator.done;
    await Promise.all(running.map((site) => site.done));
    await killed.done;
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");
    const train = summary.rounds.find((r) => r.kind === "train" && r.outcome === "completed");
    expect(train?.dropouts).toBe(1);
    const updates = survivors.map((name) => federation.updates.get(name)?.[0]);
    const weight = updates.reduce((sum, u) => sum + (u?.numExamples ?? 0), 0);
    const global = await globalAt(federation, 1);
    const codec = createFixedPointCodec({ clipRange: 1, maxSummands: sites.length });
    const tolerance = codec.maxAbsError(survivors.length, true) / (weight / MAX_EXAMPLES) + 1e-7;
    for (let i = 0; i < global.length; i++) {
      const expected =
        updates.reduce((sum, u) => sum + (u?.numExamples ?? 0) * (u?.delta[i] ?? 0), 0) / weight;
      expect(Math.abs((global[i] ?? 0) - expected)).toBeLessThan(tolerance);
    }
  });
});

describe("a coordinator killed and restarted mid-run", () => {
  it("resumes at the last completed round", async () => {
    const sites = ["alpha", "beta", "gamma"];
    let stopAfterFirst: (() => void) | undefined;
    const firstRoundDone = new Promise<void>((resolve) => (stopAfterFirst = resolve));
    const federation = await createFederation({
      sites,
      transport: "in-memory",
      config: {
        rounds: 3,
        privacy: { mode: "none" },
        sitesPerRound: { fraction: 1, minimum: 3 },
        deadlines: FAST_DEADLINES,
      },
      onCoordinatorEvent: (event) => {
        if (event.type === "round_started" && event.ref.round === 2) stopAfterFirst?.();
      },
    });
    const running = sites.map((name) => federation.startSite(name));
    await firstRoundDone;
    const first = federation.coordinator;
    await first.stop();
    const firstSummary = await first.done;
    expect(firstSummary.outcome).toBe("stopped");
    const round1 = await globalAt(federation, 1);
    await federation.startCoordinator();
    const summary = await federation.coordinator.done;
    await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");
    const completed = summary.rounds.filter((r) => r.outcome === "completed").map((r) => r.round);
    expect(completed).toEqual([1, 2, 3, 4]);
    // Round 1 ran once; the try cut short by the stop was abandoned and retried.
    expect(summary.rounds.filter((r) => r.round === 1)).toHaveLength(1);
    expect(
      summary.rounds.some((r) => r.outcome === "abandoned" && r.reason === "coordinator restarted"),
    ).toBe(true);
    expect(await globalAt(federation, 1)).toEqual(round1);
  });
});

describe("malformed and out-of-stage messages", () => {
  it("are answered with INVALID_ARGUMENT or FAILED_PRECONDITION and change no state", async () => {
    const sites = ["alpha", "beta", "gamma"];
    const federation = await createFederation({
      sites,
      transport: "in-memory",
      config: {
        rounds: 1,
        privacy: { mode: "none" },
        sitesPerRound: { fraction: 1, minimum: 3 },
        deadlines: FAST_DEADLINES,
      },
    });
    const attacks: { name: string; code: string }[] = [];
    const tls = federation.pki.sites.get("alpha");
    if (tls === undefined) throw new Error("no alpha");
    // A second connection with alpha's certificate sends junk while alpha's real round is open.
    const junk: Connection = federation.dial({ address: federation.coordinator.address, tls });
    const options = { deadlineMs: 5_000 };
    const attempt = async (name: string, call: () => Promise<unknown>) => {
      try {
        await call();
        attacks.push({ name, code: "ok" });
      } catch (error) {
        attacks.push({ name, code: error instanceof FederationError ? error.code : String(error) });
      }
    };
    const running = sites.map((name) =>
      federation.startSite(name, {
        faults: {
          beforeStage: async (stage, ref): Promise<"continue" | "drop"> => {
            if (name !== "alpha" || stage !== "submit") return "continue";
            const header = { ref, encoding: "plain" as const, numExamples: 3, trainLoss: 0 };
            await attempt("wrong length", () =>
              junk.federation.submitUpdate([{ part: "header", header: { ...header, length: 5 } }], options),
            );
            await attempt("short stream", () =>
              junk.federation.submitUpdate(
                [
                  { part: "header", header: { ...header, length: 64 } },
                  { part: "chunk", chunk: { offset: 0, data: new Uint8Array(8) } },
                ],
                options,
              ),
            );
            await attempt("non-finite", () =>
              junk.federation.submitUpdate(
                [
                  { part: "header", header: { ...header, length: 64 } },
                  {
                    part: "chunk",
                    chunk: { offset: 0, data: new Uint8Array(new Float32Array(64).fill(Number.NaN).buffer) },
                  },
                ],
                options,
              ),
            );
            await attempt("wrong encoding", () =>
              junk.federation.submitUpdate(
                [{ part: "header", header: { ...header, encoding: "masked", length: 65 } }],
                options,
              ),
            );
            await attempt("stale round", () =>
              junk.federation.submitUpdate(
                [{ part: "header", header: { ...header, ref: { round: 9, attempt: 1 }, length: 64 } }],
                options,
              ),
            );
            await attempt("out of stage", () =>
              junk.federation.signSurvivors({ ref, signature: new Uint8Array(64) }, options),
            );
            await attempt("eval metrics in a training round", () =>
              junk.federation.submitMetrics({ ref, numExamples: 1, metrics: { loss: 1 } }, options),
            );
            return "continue";
          },
        },
      }),
    );
    const summary = await federation.coordinator.done;
    const results = await Promise.all(running.map((site) => site.done));
    junk.close();
    await federation.coordinator.stop();
    expect(attacks).toEqual([
      { name: "wrong length", code: "invalid_argument" },
      { name: "short stream", code: "invalid_argument" },
      { name: "non-finite", code: "invalid_argument" },
      { name: "wrong encoding", code: "invalid_argument" },
      { name: "stale round", code: "failed_precondition" },
      { name: "out of stage", code: "failed_precondition" },
      { name: "eval metrics in a training round", code: "failed_precondition" },
    ]);
    // No state changed: alpha's own update still counted, and the round equals the plain average.
    expect(summary.outcome).toBe("completed");
    expect(results.map((r) => r.roundsContributed)).toEqual([1, 1, 1]);
    const updates = sites.map((name) => federation.updates.get(name)?.[0]);
    const weight = updates.reduce((sum, u) => sum + (u?.numExamples ?? 0), 0);
    const global = await globalAt(federation, 1);
    for (let i = 0; i < global.length; i++) {
      const expected =
        updates.reduce((sum, u) => sum + (u?.numExamples ?? 0) * (u?.delta[i] ?? 0), 0) / weight;
      expect(global[i]).toBeCloseTo(expected, 6);
    }
  });
});

describe("a site whose privacy budget would be exceeded", () => {
  it("declines the round, tells the coordinator, and the round goes on without it", async () => {
    const sites = ["alpha", "beta", "gamma"];
    const federation = await createFederation({
      sites,
      transport: "in-memory",
      config: {
        rounds: 2,
        privacy: { mode: "secagg" },
        dp: { level: "site", clipNorm: 1, noiseMultiplier: 1, epsilonBudget: 100 },
        sitesPerRound: { fraction: 1, minimum: 2 },
        deadlines: FAST_DEADLINES,
      },
    });
    // gamma allows itself far less ε than one round of z = 1 at sampling rate 1 costs.
    const running = sites.map((name) =>
      federation.startSite(name, name === "gamma" ? { epsilonBudget: 0.01 } : {}),
    );
    const summary = await federation.coordinator.done;
    const results = await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");
    expect(results.map((r) => r.roundsContributed)).toEqual([2, 2, 0]);
    const declines = federation.coordinatorEvents.filter((e) => e.type === "site_declined");
    expect(declines.map((e) => (e.type === "site_declined" ? [e.siteId, e.reason] : []))).toEqual([
      ["gamma", "privacy_budget"],
      ["gamma", "privacy_budget"],
    ]);
    expect(federation.siteEvents.get("gamma")?.filter((e) => e.type === "declined")).toHaveLength(2);
  });
});
