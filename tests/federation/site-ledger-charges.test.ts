// What a site's ledger charges in a real run (issue 18 §3): each round it took part in at q = 1, so ε holds against the coordinator that picked it.
import { describe, expect, it } from "vitest";
import { chargePrivacy, createPrivacyLedger, spentEpsilon } from "../../crypto/dp/ledger.ts";
import { siteLevelRoundCharge } from "../../crypto/dp/round-charge.ts";
import { createFederation } from "./helpers/federation.ts";

const DEADLINES = {
  joinMs: 20_000,
  trainMs: 4_000,
  advertiseKeysMs: 2_000,
  shareKeysMs: 2_000,
  unmaskMs: 2_000,
  evalMs: 2_000,
  keyCeremonyMs: 5_000,
};

/** ε after `rounds` participated rounds at q = `q`, from the project's accountant. */
function epsilonOf(rounds: number, z: number, q: number): number {
  let ledger = createPrivacyLedger({ epsilon: 1e6, delta: 1e-5 });
  for (let r = 0; r < rounds; r++)
    ledger = chargePrivacy(ledger, { ...siteLevelRoundCharge(`${r}`, z), samplingRate: q });
  return spentEpsilon(ledger).epsilon;
}

describe("client-level DP in a run where the coordinator picks half of the sites", () => {
  it("charges each participated round at q = 1, not at the task's q = 1/2", async () => {
    const sites = ["alpha", "beta", "gamma", "delta"];
    const federation = await createFederation({
      sites,
      transport: "in-memory",
      config: {
        rounds: 3,
        privacy: { mode: "secagg" },
        dp: { level: "site", clipNorm: 1, noiseMultiplier: 0.8, delta: 1e-5, epsilonBudget: 1000 },
        sitesPerRound: { fraction: 0.5, minimum: 2 },
        deadlines: DEADLINES,
      },
    });
    const running = sites.map((name) => federation.startSite(name));
    const summary = await federation.coordinator.done;
    const results = await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");
    let checked = 0;
    for (const [index, name] of sites.entries()) {
      const contributed = results[index]?.roundsContributed ?? 0;
      const charges = (federation.siteEvents.get(name) ?? []).filter((e) => e.type === "privacy");
      expect(charges).toHaveLength(contributed);
      const last = charges.at(-1);
      if (last?.type !== "privacy") continue;
      expect(last.epsilon).toBeCloseTo(epsilonOf(contributed, 0.8, 1), 6);
      expect(last.epsilon).toBeGreaterThan(epsilonOf(contributed, 0.8, 0.5));
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("a site with its own ε cap declines a round that asks for no DP", async () => {
    const sites = ["alpha", "beta", "gamma"];
    const federation = await createFederation({
      sites,
      transport: "in-memory",
      config: {
        rounds: 1,
        privacy: { mode: "secagg" },
        sitesPerRound: { fraction: 1, minimum: 2 },
        deadlines: DEADLINES,
      },
    });
    const running = sites.map((name) =>
      federation.startSite(name, name === "gamma" ? { epsilonBudget: 4 } : {}),
    );
    const summary = await federation.coordinator.done;
    const results = await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");
    expect(results.map((r) => r.roundsContributed)).toEqual([1, 1, 0]);
    const declined = federation.siteEvents.get("gamma")?.filter((e) => e.type === "declined");
    expect(declined?.map((e) => (e.type === "declined" ? e.reason : ""))).toEqual(["privacy_budget"]);
  });
});
