// The consortium CRL as a site checks it (crypto/pki/crl.ts): CA-signed, numbered, current; its revoked serials
// refuse the certificate they name wherever a peer's keys are verified.
import { beforeAll, describe, expect, it } from "vitest";
import {
  createCa,
  createCrl,
  issueCertificate,
  verifyPeer,
  type IssuedCertificate,
  type KeyAndCertificate,
} from "../../coordinator/pki/index.ts";
import { readCrlNumber, verifyCrl } from "../../crypto/pki/crl.ts";
import { PkiError, type PkiErrorCode } from "../../crypto/pki/identity.ts";
import { PemConverter } from "../../crypto/pki/x509.ts";

const DAY_MS = 86_400_000;
const NOW = new Date("2026-06-01T00:00:00Z");

async function refusal(check: () => Promise<unknown>): Promise<PkiErrorCode | "accepted"> {
  try {
    await check();
    return "accepted";
  } catch (error) {
    if (error instanceof PkiError) return error.code;
    throw error;
  }
}

describe("verifyCrl", () => {
  let ca: KeyAndCertificate;
  let foreignCa: KeyAndCertificate;
  let revoked: IssuedCertificate;
  let kept: IssuedCertificate;
  let crlPem: string;

  beforeAll(async () => {
    ca = await createCa({ commonName: "crl-consortium", now: new Date(NOW.getTime() - DAY_MS) });
    foreignCa = await createCa({ commonName: "elsewhere" });
    const issuedAt = new Date(NOW.getTime() - DAY_MS);
    revoked = await issueCertificate(ca, { role: "site", name: "beta", now: issuedAt });
    kept = await issueCertificate(ca, { role: "site", name: "gamma", now: issuedAt });
    crlPem = await createCrl(ca, [{ serialNumber: revoked.serialNumber, revokedAt: NOW }], {
      crlNumber: 7,
      thisUpdate: NOW,
      nextUpdate: new Date(NOW.getTime() + 30 * DAY_MS),
    });
  });

  it("reads the CA's number, validity and revoked serials, which then refuse that certificate only", async () => {
    const crl = await verifyCrl(crlPem, ca.certPem, NOW);
    expect(crl.crlNumber).toBe(7);
    expect(readCrlNumber(crlPem)).toBe(7);
    expect(crl.nextUpdate.getTime() - crl.thisUpdate.getTime()).toBe(30 * DAY_MS);
    expect(() => verifyPeer(revoked.certPem, ca.certPem, crl.revocations, { now: NOW })).toThrow(
      expect.objectContaining({ code: "revoked" }),
    );
    expect(verifyPeer(kept.certPem, ca.certPem, crl.revocations, { now: NOW }).name).toBe("gamma");
  });

  it("refuses a CRL of another CA, an altered one and one past its nextUpdate", async () => {
    const foreign = await createCrl(foreignCa, [], {
      crlNumber: 8,
      thisUpdate: NOW,
      nextUpdate: new Date(NOW.getTime() + DAY_MS),
    });
    expect(await refusal(() => verifyCrl(foreign, ca.certPem, NOW))).toBe("unknown-ca");

    // The revoked entry's serial, one bit flipped: the CA's signature no longer covers the list.
    const der = new Uint8Array(PemConverter.decodeFirst(crlPem));
    const serial = Buffer.from(revoked.serialNumber, "hex");
    const at = Buffer.from(der).indexOf(serial);
    expect(at).toBeGreaterThan(0);
    const altered = Uint8Array.from(der);
    altered[at + serial.length - 1] = (altered[at + serial.length - 1] ?? 0) ^ 1;
    expect(await refusal(() => verifyCrl(altered, ca.certPem, NOW))).toBe("unknown-ca");

    expect(await refusal(() => verifyCrl(crlPem, ca.certPem, new Date(NOW.getTime() + 31 * DAY_MS)))).toBe(
      "expired",
    );
    expect(await refusal(() => verifyCrl(crlPem, ca.certPem, NOW))).toBe("accepted");
  });
});
