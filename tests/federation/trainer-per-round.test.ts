// A site with trainerPerRound (the simulation's hosted sites) holds no trainer while not picked: one is built for each round it takes.
import { describe, expect, it } from "vitest";
import { syntheticTrainer } from "../../client/node/trainer.ts";
import { seededRng } from "../../crypto/rng.ts";
import { siteIds } from "../helpers/site-ids.ts";
import { createFederation } from "./helpers/federation.ts";

const SITES = siteIds("a", "bb", "ccc", "dddd", "eeeee", "ffffff");

describe("trainerPerRound", () => {
  it("builds a site's trainer for each round it is picked for and releases it after", async () => {
    // Trainers built and not yet disposed, per site.
    const live = new Map<string, number>(SITES.map((site) => [site, 0]));
    const built = new Map<string, number>(SITES.map((site) => [site, 0]));
    const idleWithTrainer: string[] = [];
    let idleChecks = 0;
    let previous: readonly string[] | undefined;
    const federation = await createFederation({
      sites: SITES,
      transport: "in-memory",
      config: { rounds: 3, privacy: { mode: "secagg" }, sitesPerRound: { fraction: 0.5, minimum: 2 } },
      // Taken synchronously as the coordinator opens a round (in-memory transport, one thread): no site has
      // its new task yet. A site outside the previous round has finished any round it took; one inside it
      // may still be answering that round's last step.
      onCoordinatorEvent: (event) => {
        if (event.type !== "round_started") return;
        for (const site of previous === undefined ? [] : SITES.filter((s) => !previous?.includes(s))) {
          idleChecks++;
          if ((live.get(site) ?? 0) > 0) idleWithTrainer.push(`${site} at round ${event.ref.round}`);
        }
        previous = event.participants;
      },
    });
    const sites = SITES.map((name) =>
      federation.startSite(name, {
        trainerPerRound: true,
        createTrainer: (_lora, vectorLength) => {
          live.set(name, (live.get(name) ?? 0) + 1);
          built.set(name, (built.get(name) ?? 0) + 1);
          const trainer = syntheticTrainer({
            vectorLength,
            numExamples: 10,
            rng: seededRng(`train-${name}`),
          });
          return Promise.resolve({
            ...trainer,
            dispose: () => {
              live.set(name, (live.get(name) ?? 0) - 1);
              trainer.dispose();
            },
          });
        },
      }),
    );
    const summary = await federation.coordinator.done;
    await Promise.all(sites.map((site) => site.done));
    await federation.coordinator.stop();
    expect(summary.outcome).toBe("completed");

    expect(idleChecks).toBeGreaterThan(0);
    expect(idleWithTrainer).toEqual([]);
    for (const site of SITES) {
      // One at Join (checks the adapter's length, then goes) and one per training or evaluation task.
      const tasks = (federation.siteEvents.get(site) ?? []).filter(
        (event) => event.type === "stage" && (event.stage === "train" || event.stage === "eval"),
      ).length;
      expect(built.get(site), site).toBe(1 + tasks);
      expect(live.get(site), site).toBe(0);
    }
  });
});
