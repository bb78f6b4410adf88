// The per-site transfer gate: one transfer per site, slots handed on in order, stalled transfers give theirs back.
import { describe, expect, it } from "vitest";
import { TransferGate } from "../../coordinator/service/transfer-gate.ts";
import { FederationError } from "../../proto/errors.ts";

const LIMITS = { concurrency: 1, headerTimeoutMs: 20, stallTimeoutMs: 20 };
const never = new AbortController().signal;

async function codeOf(pending: Promise<unknown>): Promise<string> {
  try {
    await pending;
    return "ok";
  } catch (error) {
    return error instanceof FederationError ? error.code : String(error);
  }
}

describe("TransferGate", () => {
  it("refuses a site's second transfer at once, even while its first one waits", async () => {
    const gate = new TransferGate("download", LIMITS);
    const first = await gate.open("alpha", never);
    const waiting = gate.open("beta", never);
    expect(await codeOf(gate.open("beta", never))).toBe("resource_exhausted");
    expect(await codeOf(gate.open("alpha", never))).toBe("resource_exhausted");
    first.close();
    const second = await waiting;
    second.close();
    // Closed transfers free the site's claim.
    (await gate.open("alpha", never)).close();
  });

  it("gives a stalled download's slot to the next site, and fails the stalled one when it resumes", async () => {
    const gate = new TransferGate("download", LIMITS);
    const stalled = await gate.open("mallory", never);
    const taken = stalled.watch(LIMITS.stallTimeoutMs, "the chunk was not taken");
    // The only slot is held by the stalled download until its watchdog fires.
    const next = await gate.open("alpha", never);
    expect(() => taken()).toThrow(/not taken within 20 ms: download cancelled/);
    // Still one download per site: the stalled call has not ended yet.
    expect(await codeOf(gate.open("mallory", never))).toBe("resource_exhausted");
    next.close();
    stalled.close();
  });

  it("cancels an upload step that takes too long, and frees its slot", async () => {
    const gate = new TransferGate("upload", LIMITS);
    const silent = await gate.open("mallory", never);
    const header = silent.step(
      new Promise(() => undefined),
      LIMITS.headerTimeoutMs,
      "no header arrived",
      never,
    );
    expect(await codeOf(header)).toBe("deadline_exceeded");
    (await gate.open("alpha", never)).close();
    silent.close();
  });

  it("drops a waiter whose caller went away", async () => {
    const gate = new TransferGate("upload", LIMITS);
    const held = await gate.open("alpha", never);
    const caller = new AbortController();
    const waiting = gate.open("beta", caller.signal);
    caller.abort();
    expect(await codeOf(waiting)).toBe("cancelled");
    held.close();
    (await gate.open("beta", never)).close();
  });
});
