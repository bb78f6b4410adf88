// Partial participation (sitesPerRound.fraction, the simulation's --participation): each round uses exactly the
// sites it picked, and FedAvg weights exactly their updates by their example counts; under client-level DP
// each site's ledger charges the rounds it took part in at q = 1.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import { describeAdapter } from "../../coordinator/server.ts";
import type { LocalUpdate } from "../../client/node/trainer.ts";
import type { PrivacyMode } from "../../proto/messages.ts";
import { parseSiteId } from "../../crypto/site-id.ts";
import { BASE_MODEL_HASH, TINY_MODEL, createFederation, fedAvgOf } from "./helpers/federation.ts";
import { siteIds } from "../helpers/site-ids.ts";

// Different name lengths give different example counts (10 + length), so a wrong weighting shows.
const SITES = siteIds("a", "bb", "ccc", "dddd", "eeeee", "ffffff");
const ROUNDS = 3;

describe.each<PrivacyMode>(["none", "secagg"])("partial participation in mode %s", (mode) => {
  it("trains each round on ⌈0.5·6⌉ = 3 picked sites and averages exactly their updates", async () => {
    const federation = await createFederation({
      sites: SITES,
      transport: "in-memory",
      config: { rounds: ROUNDS, privacy: { mode }, sitesPerRound: { fraction: 0.5, minimum: 2 } },
    });
    const sites = SITES.map((name) => federation.startSite(name));
    const summary = await federation.coordinator.done;
    await Promise.all(sites.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");

    const picked = federation.coordinatorEvents.flatMap((event) =>
      event.type === "round_started" && event.kind === "train" ? [[...event.participants].sort()] : [],
    );
    expect(picked).toHaveLength(ROUNDS);
    for (const participants of picked) expect(participants).toHaveLength(3);
    // Sampling differs between rounds (seeded, so this is fixed for the test's seed).
    expect(new Set(picked.flat()).size).toBeGreaterThan(3);

    // A site trains only in the rounds that picked it: its k-th update belongs to its k-th picked round.
    const byRound: LocalUpdate[][] = picked.map(() => []);
    for (const site of SITES) {
      const rounds = picked.flatMap((participants, r) => (participants.includes(site) ? [r] : []));
      const updates = federation.updates.get(site) ?? [];
      expect(updates, site).toHaveLength(rounds.length);
      rounds.forEach((r, k) => byRound[r]?.push(updates[k] as LocalUpdate));
    }
    const expected = fedAvgOf(byRound);
    const adapter = describeAdapter(TINY_MODEL, { ...federation.config.lora }, BASE_MODEL_HASH, null);
    const state = DurableState.open(federation.config.storageDir, adapter.spec);
    try {
      const checkpoint = await state.checkpoint(ROUNDS);
      if (checkpoint?.model.kind !== "plain") throw new Error("no plain checkpoint");
      // secagg rounds carry the fixed-point codec's error (≈1e-6 here); plain ones are exact in float32.
      const tolerance = mode === "secagg" ? 1e-5 : 1e-7;
      for (let i = 0; i < expected.length; i++)
        expect(Math.abs((checkpoint.model.vector[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(tolerance);
      // Weighting matters: the unweighted mean of the same updates is farther off than the tolerance.
      const unweighted = fedAvgOf(byRound.map((updates) => updates.map((u) => ({ ...u, numExamples: 1 }))));
      const gap = Math.max(...expected.map((v, i) => Math.abs(v - (unweighted[i] ?? 0))));
      expect(gap).toBeGreaterThan(10 * tolerance);
    } finally {
      state.close();
    }
  });
});

describe("partial participation under client-level DP", () => {
  it("charges each site's ledger one step at q = 1 per round it took part in, none for the others", async () => {
    const sites = ["a", "bb", "ccc", "dddd"];
    const federation = await createFederation({
      sites,
      transport: "in-memory",
      config: {
        rounds: 2,
        privacy: { mode: "secagg" },
        dp: { level: "site", clipNorm: 1, noiseMultiplier: 1, epsilonBudget: 100 },
        sitesPerRound: { fraction: 0.5, minimum: 2 },
      },
    });
    const running = sites.map((name) => federation.startSite(name));
    const summary = await federation.coordinator.done;
    await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");
    const picked = federation.coordinatorEvents.flatMap((event) =>
      event.type === "round_started" && event.kind === "train" ? [event.participants] : [],
    );
    for (const site of sites) {
      const rounds = picked.filter((participants) => participants.includes(parseSiteId(site))).length;
      const ledgerFile = join(federation.dir, "sites", site, "privacy-ledger.json");
      const entries =
        rounds === 0
          ? []
          : (
              JSON.parse(readFileSync(ledgerFile, "utf8")) as {
                entries: { samplingRate: number; steps: number }[];
              }
            ).entries;
      // The coordinator picked 2 of 4 and knows whom: the task's rate 0.5 is no amplification against it.
      expect(
        entries.map((e) => [e.samplingRate, e.steps]),
        site,
      ).toEqual(new Array<number[]>(rounds).fill([1, 1]));
    }
  });
});
