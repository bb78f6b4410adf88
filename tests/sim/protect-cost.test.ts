// Protect time over training time per round: which events count, for which try, and the holders' decryption shares.
import { describe, expect, it } from "vitest";
import type { SiteEvent } from "../../client/node/session.ts";
import { ProtectCostCollector } from "../../sim/protect-cost.ts";

const ref = (round: number, attempt = 1) => ({ round, attempt });
const trained = (round: number, trainMs: number, reused = false, attempt = 1): SiteEvent => ({
  type: "trained",
  ref: ref(round, attempt),
  numExamples: 10,
  trainLoss: 1,
  reused,
  trainMs,
});
const submitted = (round: number, protectMs: number, attempt = 1): SiteEvent => ({
  type: "submitted",
  ref: ref(round, attempt),
  sentBytes: 1,
  protectMs,
});

describe("protect time over training time", () => {
  it("adds a key holder's decryption share to its protect time, per site, with median and max over the sites", () => {
    const costs = new ProtectCostCollector();
    costs.handle("a", trained(1, 1000));
    costs.handle("a", submitted(1, 10));
    costs.handle("b", trained(1, 2000));
    costs.handle("b", submitted(1, 20));
    costs.handle("b", { type: "decryption-share", ref: ref(1), protectMs: 40 });
    costs.handle("c", trained(1, 500));
    costs.handle("c", submitted(1, 25));
    // a: 0.01, b: 0.03, c: 0.05
    const ratios = costs.ratiosOf(1);
    expect(ratios?.sites).toBe(3);
    expect(ratios?.median).toBeCloseTo(0.03, 10);
    expect(ratios?.max).toBeCloseTo(0.05, 10);
  });

  it("a retried try counts its own protect account, a reused update keeps its training time, and a site that never submitted is left out", () => {
    const costs = new ProtectCostCollector();
    costs.handle("a", trained(3, 1000));
    costs.handle("a", submitted(3, 10));
    costs.handle("a", { type: "decryption-share", ref: ref(3), protectMs: 90 });
    costs.handle("a", trained(3, 0, true, 2));
    costs.handle("a", submitted(3, 30, 2));
    costs.handle("b", trained(3, 1000));
    expect(costs.ratiosOf(3)).toEqual({ median: 0.03, max: 0.03, sites: 1 });
    expect(costs.ratiosOf(4)).toBeNull();
  });
});
