// The noise in a real SecAgg+ round's aggregate under client-level DP is the noise the ledger charges for (issue 18 §4): the codec's range covers the sites' noise shares.
import { describe, expect, it } from "vitest";
import { createFederation, globalAt } from "./helpers/federation.ts";

describe("client-level DP through a SecAgg+ round", () => {
  it("z = 2, C = 1, two sites: the sum carries std z·C = 2 (the codec sized for C alone gave 1.13)", async () => {
    const sites = ["alpha", "beta"];
    const federation = await createFederation({
      sites,
      transport: "in-memory",
      config: {
        rounds: 1,
        // 2 048 trainable entries (B of rank 32 in four projections): the std is estimated within 2%.
        lora: {
          r: 32,
          alpha: 4,
          targetModules: ["q_proj", "k_proj", "v_proj", "o_proj"],
          mode: "ffa",
          seed: 7,
        },
        privacy: { mode: "secagg" },
        dp: { level: "site", clipNorm: 1, noiseMultiplier: 2, epsilonBudget: 1000 },
        sitesPerRound: { fraction: 1, minimum: 2 },
      },
    });
    const running = sites.map((name) => federation.startSite(name));
    const summary = await federation.coordinator.done;
    await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");
    // FedAvg with every site weighing 1 under client-level DP: the global is the sum over 2 sites.
    const global = await globalAt(federation, 1);
    let squares = 0;
    for (const x of global) squares += x * x;
    expect(global.length).toBe(2048);
    const sumStddev = Math.sqrt(squares / global.length) * sites.length;
    expect(Math.abs(sumStddev - 2)).toBeLessThan(0.1);
  });
});
