// With updateClipNorm 0 (the default), a secagg round clips each site's update in L2 to 1, explicitly, instead of the codec clipping every entry to ±1 (issue 18 §5).
import { describe, expect, it } from "vitest";
import { syntheticTrainer, type LocalUpdate } from "../../client/node/trainer.ts";
import { clipL2 } from "../../crypto/dp/clip.ts";
import { seededRng } from "../../crypto/rng.ts";
import { createFederation, fedAvgOf, globalAt } from "./helpers/federation.ts";

describe("a secagg round with the default updateClipNorm", () => {
  it("averages the sites' updates clipped to L2 norm 1", async () => {
    const sites = ["alpha", "beta"];
    const federation = await createFederation({
      sites,
      transport: "in-memory",
      config: { rounds: 1, privacy: { mode: "secagg" }, sitesPerRound: { fraction: 1, minimum: 2 } },
    });
    const produced = new Map<string, LocalUpdate[]>();
    const running = sites.map((name) =>
      federation.startSite(name, {
        // Entries up to ±3: an L2 norm far above 1, and many entries the codec alone would cut to ±1.
        createTrainer: (_lora, vectorLength) =>
          Promise.resolve(
            syntheticTrainer({
              vectorLength,
              numExamples: 10 + name.length,
              scale: 3,
              rng: seededRng(`clip-${name}`),
              onUpdate: (update) => produced.set(name, [...(produced.get(name) ?? []), update]),
            }),
          ),
      }),
    );
    const summary = await federation.coordinator.done;
    await Promise.all(running.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");

    const clipped = sites.map((name) => {
      const update = produced.get(name)?.[0];
      if (update === undefined) throw new Error(`${name} produced no update`);
      return { ...update, delta: clipL2(update.delta, 1).clipped };
    });
    const expected = fedAvgOf([clipped]);
    const global = await globalAt(federation, 1);
    for (let i = 0; i < expected.length; i++) expect(global[i]).toBeCloseTo(expected[i] ?? NaN, 4);
  });
});
