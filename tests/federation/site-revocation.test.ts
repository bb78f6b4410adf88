// The CA-signed CRL reaches the sites at Join: a site refuses the keys of a peer the CRL revokes even where the
// coordinator still admits that peer, and refuses to go on with a CRL older than the newest it has seen.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { acceptRevocationList } from "../../client/node/site-state.ts";
import { createCrl } from "../../coordinator/pki/index.ts";
import { PemConverter } from "../../crypto/pki/x509.ts";
import { createFederation } from "./helpers/federation.ts";
import { createTestPki, type TestPki } from "./helpers/pki.ts";

const SITES = ["alpha", "beta", "gamma"];
const CONFIG = {
  rounds: 1,
  privacy: { mode: "secagg" },
  sitesPerRound: { fraction: 1, minimum: 3 },
  maxAttemptsPerRound: 1,
  deadlines: { joinMs: 20_000, trainMs: 4_000, advertiseKeysMs: 2_000, shareKeysMs: 2_000, unmaskMs: 2_000 },
};

describe("the revocation list relayed at Join", () => {
  let pki: TestPki;
  /** The consortium's CRL number `crlNumber`, revoking beta (from number 2 on), as DER. */
  let crl: (crlNumber: number) => Promise<Uint8Array>;

  beforeAll(async () => {
    pki = await createTestPki(SITES);
    const beta = pki.sites.get("beta");
    if (beta === undefined) throw new Error("no beta certificate");
    const now = new Date();
    crl = async (crlNumber) => {
      const entries = crlNumber >= 2 ? [{ serialNumber: beta.serialNumber, revokedAt: now }] : [];
      const pem = await createCrl(pki.ca, entries, {
        crlNumber,
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + 86_400_000),
      });
      return new Uint8Array(PemConverter.decodeFirst(pem));
    };
  });

  it("revoking beta: every site refuses the roster before it advertises, though the coordinator let beta in", async () => {
    const revoked = await crl(2);
    const federation = await createFederation({
      sites: SITES,
      transport: "in-memory",
      pki,
      config: CONFIG,
      revocationList: () => revoked,
    });
    const running = SITES.map((name) => federation.startSite(name));
    const summary = await federation.coordinator.done;
    await Promise.all(running.map((site) => site.stop()));
    await federation.coordinator.stop();
    expect(summary.completedRounds).toBe(0);
    for (const name of SITES) {
      const events = federation.siteEvents.get(name) ?? [];
      expect(events.some((e) => e.type === "stage" && e.stage === "advertise_keys")).toBe(false);
      const reasons = events.flatMap((e) => (e.type === "dropped" ? [e.reason] : []));
      expect(reasons.length).toBeGreaterThan(0);
      for (const reason of reasons)
        expect(reason).toMatch(/peer keys refused: the keys relayed for beta: .*revoked/);
    }
  }, 60_000);

  it("a site that has seen CRL number 2 refuses to run on a coordinator relaying number 1", async () => {
    const stale = await crl(1);
    const federation = await createFederation({
      sites: SITES,
      transport: "in-memory",
      pki,
      config: CONFIG,
      revocationList: () => stale,
    });
    await acceptRevocationList(join(federation.dir, "sites", "alpha"), pki.ca.certPem, await crl(2));
    const alpha = federation.startSite("alpha");
    await expect(alpha.done).rejects.toMatchObject({ code: "stale" });
    expect((federation.siteEvents.get("alpha") ?? []).some((e) => e.type === "joined")).toBe(false);
    await federation.coordinator.stop();
  }, 60_000);
});
