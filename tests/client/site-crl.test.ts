// A site keeps the newest CA-signed CRL it has been relayed (client/node/site-state.ts acceptRevocationList): an
// older one, replayed by a coordinator to un-revoke a site, is refused, and a Join without one keeps the kept list.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { acceptRevocationList } from "../../client/node/site-state.ts";
import {
  createCa,
  createCrl,
  issueCertificate,
  normaliseSerialNumber,
  type KeyAndCertificate,
} from "../../coordinator/pki/index.ts";
import { PemConverter } from "../../crypto/pki/x509.ts";

const DAY_MS = 86_400_000;
const NOW = new Date("2026-06-01T00:00:00Z");

describe("a site's revocation list across Joins", () => {
  let ca: KeyAndCertificate;
  let foreignCa: KeyAndCertificate;
  let betaSerial: string;
  /** The CA's CRL number `crlNumber`, revoking beta from number 2 on, as DER. */
  let crl: (crlNumber: number, authority?: KeyAndCertificate) => Promise<Uint8Array>;

  beforeAll(async () => {
    ca = await createCa({ commonName: "site-crl-consortium", now: new Date(NOW.getTime() - DAY_MS) });
    foreignCa = await createCa({ commonName: "elsewhere" });
    const beta = await issueCertificate(ca, { role: "site", name: "beta" });
    betaSerial = normaliseSerialNumber(beta.serialNumber);
    crl = async (crlNumber, authority = ca) => {
      const entries = crlNumber >= 2 ? [{ serialNumber: beta.serialNumber, revokedAt: NOW }] : [];
      const pem = await createCrl(authority, entries, {
        crlNumber,
        thisUpdate: NOW,
        nextUpdate: new Date(NOW.getTime() + 30 * DAY_MS),
      });
      return new Uint8Array(PemConverter.decodeFirst(pem));
    };
  });

  it("keeps the highest CRL number, refuses an older CRL and keeps its list when none is relayed", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "fedtune-site-crl-"));
    const accept = (relayed: Uint8Array) => acceptRevocationList(stateDir, ca.certPem, relayed, NOW);
    const kept = () => JSON.parse(readFileSync(join(stateDir, "crl.json"), "utf8")) as { crlNumber: number };

    expect((await accept(new Uint8Array())).serialNumbers.size).toBe(0);
    expect(existsSync(join(stateDir, "crl.json"))).toBe(false);

    expect((await accept(await crl(2))).serialNumbers.has(betaSerial)).toBe(true);
    expect(kept().crlNumber).toBe(2);

    // A coordinator replaying number 1, from before beta was revoked.
    await expect(accept(await crl(1))).rejects.toMatchObject({ code: "stale" });
    expect(kept().crlNumber).toBe(2);

    // A coordinator relaying nothing: the kept list still holds.
    expect((await accept(new Uint8Array())).serialNumbers.has(betaSerial)).toBe(true);

    expect((await accept(await crl(3))).serialNumbers.has(betaSerial)).toBe(true);
    expect(kept().crlNumber).toBe(3);
  });

  it("refuses a CRL not signed by its CA and writes nothing", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "fedtune-site-crl-"));
    await expect(
      acceptRevocationList(stateDir, ca.certPem, await crl(5, foreignCa), NOW),
    ).rejects.toMatchObject({ code: "unknown-ca" });
    expect(existsSync(join(stateDir, "crl.json"))).toBe(false);
  });
});
