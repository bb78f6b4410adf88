// Defect 1 of issue 12: a site that opens upload streams and sends nothing must not stall other sites' rounds.
import { describe, expect, it } from "vitest";
import { FederationError } from "../../proto/errors.ts";
import type { UpdatePart } from "../../proto/messages.ts";
import { BASE_MODEL_HASH, createFederation } from "./helpers/federation.ts";
import { joinByHand } from "./helpers/join-by-hand.ts";
import { createTestPki } from "./helpers/pki.ts";

const HONEST = ["alpha", "beta", "gamma"];
const HOSTILE = "mallory";

/** A SubmitUpdate request stream that sends nothing until `until` settles, then ends. */
function silent(until: Promise<void>): AsyncIterable<UpdatePart> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => until.then(() => ({ done: true, value: undefined })),
    }),
  };
}

async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return error instanceof FederationError ? error.code : String(error);
  }
}

describe("a site holding silent SubmitUpdate streams (gRPC, mutual TLS)", () => {
  it("is refused a second upload at once, cut off when it sends no header, and the others' rounds finish", async () => {
    const pki = await createTestPki([...HONEST, HOSTILE]);
    const federation = await createFederation({
      // The first round waits for all four, the hostile site among them.
      sites: [...HONEST, HOSTILE],
      pki,
      transport: "grpc",
      config: {
        rounds: 2,
        maxAttemptsPerRound: 1,
        privacy: { mode: "none" },
        sitesPerRound: { fraction: 1, minimum: 3 },
        // Fewer slots than silent streams: before the fix, the hostile site filled them all.
        transfers: { concurrency: 2, headerTimeoutMs: 500, stallTimeoutMs: 1_000 },
        deadlines: { joinMs: 20_000, trainMs: 5_000, evalMs: 5_000 },
      },
    });
    const tls = pki.sites.get(HOSTILE);
    if (tls === undefined) throw new Error(`no certificate for ${HOSTILE}`);
    const hostile = federation.dial({ address: federation.coordinator.address, tls });
    // A joined site: it is picked for rounds, drops out of each, and meanwhile holds silent streams.
    await joinByHand(hostile, tls, BASE_MODEL_HASH);
    let endSilence = (): void => undefined;
    const silence = new Promise<void>((resolve) => (endSilence = resolve));
    const outcomes: Promise<string>[] = [];
    let opening = true;
    // The hostile site keeps four silent streams open from before the first round to the end of the run.
    const openSilentStreams = async (): Promise<void> => {
      while (opening) {
        const batch = Array.from({ length: 4 }, () =>
          outcome(hostile.federation.submitUpdate(silent(silence), { deadlineMs: 60_000 })),
        );
        outcomes.push(...batch);
        await Promise.race([Promise.all(batch), new Promise((resolve) => setTimeout(resolve, 2_000))]);
      }
    };
    const attacking = openSilentStreams();
    const running = HONEST.map((name) => federation.startSite(name));
    const summary = await federation.coordinator.done;
    opening = false;
    endSilence();
    await attacking;
    await Promise.all(running.map((site) => site.done));
    const codes = await Promise.all(outcomes);
    await federation.coordinator.stop();
    hostile.close();

    expect(summary.outcome).toBe("completed");
    expect(summary.rounds.filter((r) => r.kind === "train" && r.outcome === "completed")).toHaveLength(2);
    for (const name of HONEST) expect(federation.updates.get(name)).toHaveLength(2);
    // Each batch: one stream got the site's one slot and was cancelled for sending no header; the rest
    // were refused at once.
    expect(codes).toContain("resource_exhausted");
    expect(codes).toContain("deadline_exceeded");
    expect(codes).not.toContain("ok");
  }, 60_000);
});
