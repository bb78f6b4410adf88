// he mode (reveal: sites) on a long-lived coordinator: two runs back to back with the same three site clients,
// then a site-side export of the first run's last round against the still-running coordinator.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rebuildGlobalAtSite } from "../../client/node/he-export.ts";
import { loadOrCreateSiteKeys } from "../../client/node/site-state.ts";
import type { SiteRunSummary } from "../../client/node/site-client.ts";
import { createCkksContext, loadSeal, type CkksContext } from "../../crypto/ckks/context.ts";
import { seededRng } from "../../crypto/rng.ts";
import type { Connection } from "../../proto/transport.ts";
import { createFederation, fedAvgOf, type Federation } from "./helpers/federation.ts";
import { NO_REVOCATIONS } from "../../crypto/pki/identity.ts";

const SITES = ["alpha", "beta", "gamma"];
const DEADLINE = { deadlineMs: 20_000 };

let ckks: CkksContext;
let federation: Federation;
let admin: Connection;
let alpha: Connection;
let sites: { done: Promise<SiteRunSummary>; stop(): Promise<SiteRunSummary> }[];

beforeAll(async () => {
  ckks = createCkksContext(await loadSeal());
  federation = await createFederation({
    sites: SITES,
    transport: "grpc",
    ckks,
    config: { rounds: 2, privacy: { mode: "he" }, sitesPerRound: { fraction: 1, minimum: 3 } },
  });
  admin = federation.dial({ address: federation.coordinator.address, tls: federation.pki.admin });
  const tls = federation.pki.sites.get("alpha");
  if (tls === undefined) throw new Error("no alpha certificate");
  alpha = federation.dial({ address: federation.coordinator.address, tls });
  sites = SITES.map((name) => federation.startSite(name, { stayConnected: true, nextRunPollMs: 100 }));
}, 30_000);

afterAll(async () => {
  admin.close();
  alpha.close();
  await Promise.all(sites.map((site) => site.stop()));
  await federation.coordinator.stop();
  ckks.dispose();
});

/** The global adapter of `round` of run `runId` (0 = the last), rebuilt at alpha from the coordinator's aggregates. */
function exportAtAlpha(runId: number, round: number): ReturnType<typeof rebuildGlobalAtSite> {
  const keys = loadOrCreateSiteKeys(join(federation.dir, "sites", "alpha"), seededRng("unused"));
  return rebuildGlobalAtSite({
    federation: alpha.federation,
    options: DEADLINE,
    ctx: ckks,
    envelopeSecretKey: keys.envelopeSecretKey,
    trust: { caCert: federation.pki.ca.certPem, revocations: NO_REVOCATIONS },
    round,
    runId,
    initialGlobal: (_lora, vectorLength) => new Float32Array(vectorLength),
  });
}

/** FedAvg of the sites' updates number `indices` (in the order each site made them). */
function fedAvgOfUpdates(indices: readonly number[]): Float64Array {
  return fedAvgOf(
    indices.map((index) =>
      SITES.map(
        (name) => federation.updates.get(name)?.[index] ?? expect.fail(`${name} made no update ${index}`),
      ),
    ),
  );
}

function expectClose(actual: Float32Array, expected: Float64Array): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Math.abs((actual[i] ?? 0) - (expected[i] ?? 0))).toBeLessThan(1e-5);
}

describe("he runs on a long-lived coordinator", () => {
  it("runs two he runs with the same sites, and a site exports the first run's last round afterwards", async () => {
    while (!federation.coordinatorEvents.some((e) => e.type === "round_started"))
      await new Promise((resolve) => setTimeout(resolve, 50));
    await admin.admin.submitRun(
      { settingsText: "rounds: 1\nprivacy:\n  mode: he\n", source: "run2.yaml" },
      DEADLINE,
    );
    expect((await federation.coordinator.done).outcome).toBe("completed");
    for (let tries = 0; (await admin.admin.showRun({ runId: 2 }, DEADLINE)).state !== "finished"; tries++) {
      if (tries > 600) throw new Error("run 2 never finished");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const name of SITES)
      expect((federation.siteEvents.get(name) ?? []).filter((e) => e.type === "joined")).toHaveLength(2);

    // Run 1's last round, exported while run 2 is the coordinator's latest: FedAvg of run 1's two rounds.
    const first = await exportAtAlpha(1, 0);
    expect(first.manifest).toMatchObject({ round: 2, versions: [1, 2] });
    expectClose(first.vector, fedAvgOfUpdates([0, 1]));
    // Run 2's adapter started again from the initialisation: FedAvg of its one round only.
    const second = await exportAtAlpha(0, 0);
    expect(second.manifest).toMatchObject({ round: 1, versions: [1] });
    expectClose(second.vector, fedAvgOfUpdates([2]));
    // A run that does not exist is refused with its reason.
    const missing = exportAtAlpha(9, 0);
    await expect(missing).rejects.toMatchObject({ code: "wrong-round" });
    await expect(missing).rejects.toThrow(/no run with id 9/);
  });
});
