// How a secagg round bounds each site's update without client-level DP (issue 18 §5): with updateClipNorm 0
// (the default) nothing is clipped (the codec's range ±1 holds the weighted entries w·Δ, w = n/4096, so it
// only bounds |Δ| by 4096/n); with updateClipNorm C the update is clipped in L2 to C at the site. Either way
// the aggregate is the FedAvg of exactly those updates.
import { describe, expect, it } from "vitest";
import { syntheticTrainer, type LocalUpdate } from "../../client/node/trainer.ts";
import { clipL2 } from "../../crypto/dp/clip.ts";
import { seededRng } from "../../crypto/rng.ts";
import { createFederation, fedAvgOf, globalAt } from "./helpers/federation.ts";

describe("a secagg round without client-level DP", () => {
  for (const { updateClipNorm, clip, label } of [
    {
      updateClipNorm: 0,
      clip: (delta: Float32Array) => delta,
      label: "clips nothing with the default updateClipNorm 0 (entries of ±3 pass whole)",
    },
    {
      updateClipNorm: 1,
      clip: (delta: Float32Array) => clipL2(delta, 1).clipped,
      label: "clips each update to L2 norm 1 with updateClipNorm 1",
    },
  ])
    it(label, async () => {
      const sites = ["alpha", "beta"];
      const federation = await createFederation({
        sites,
        transport: "in-memory",
        config: {
          rounds: 1,
          privacy: { mode: "secagg", updateClipNorm },
          sitesPerRound: { fraction: 1, minimum: 2 },
        },
      });
      const produced = new Map<string, LocalUpdate>();
      const running = sites.map((name) =>
        federation.startSite(name, {
          // Entries up to ±3: an L2 norm far above 1, and many entries beyond ±1.
          createTrainer: (_lora, vectorLength) =>
            Promise.resolve(
              syntheticTrainer({
                vectorLength,
                numExamples: 10 + name.length,
                scale: 3,
                rng: seededRng(`clip-${name}`),
                onUpdate: (update) => produced.set(name, update),
              }),
            ),
        }),
      );
      const summary = await federation.coordinator.done;
      await Promise.all(running.map((site) => site.done));
      await federation.coordinator.stop();
      expect(summary.outcome).toBe("completed");

      const clipped = sites.map((name) => {
        const update = produced.get(name);
        if (update === undefined) throw new Error(`${name} produced no update`);
        return { ...update, delta: clip(update.delta) };
      });
      const expected = fedAvgOf([clipped]);
      const global = await globalAt(federation, 1);
      for (let i = 0; i < expected.length; i++) expect(global[i]).toBeCloseTo(expected[i] ?? NaN, 4);
    });
});
