// The refusal watch over the real PKI authenticator: refusals counted per certificate, reported at 1, 10, 100, ….
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { pkiAuthenticator } from "../../coordinator/transport/authenticator.ts";
import {
  isReportedCount,
  watchRefusals,
  type CertificateRefusal,
} from "../../coordinator/transport/refusal-watch.ts";
import { createTestPki, revocationList } from "../federation/helpers/pki.ts";

const der = (pem: string): Uint8Array => new Uint8Array(new X509Certificate(pem).raw);

describe("isReportedCount", () => {
  it("picks the powers of ten only", () => {
    const picked = Array.from({ length: 1200 }, (_, i) => i + 1).filter(isReportedCount);
    expect(picked).toEqual([1, 10, 100, 1000]);
  });
});

describe("watchRefusals", () => {
  it("reports each refused certificate at its 1st and 10th refusal, passes accepted ones unreported", async () => {
    const pki = await createTestPki(["alpha", "beta"]);
    const revocations = revocationList();
    const reports: CertificateRefusal[] = [];
    const watched = watchRefusals(
      pkiAuthenticator(pki.ca.certPem, () => revocations.current()),
      (refusal) => reports.push(refusal),
    );
    const alpha = pki.sites.get("alpha");
    const beta = pki.sites.get("beta");
    if (alpha === undefined || beta === undefined) throw new Error("test PKI without sites");
    revocations.revoke(alpha.fingerprint);
    for (let call = 0; call < 12; call++) {
      expect(() => watched.authenticate(der(alpha.certPem), "site")).toThrow("certificate refused: revoked");
      expect(watched.authenticate(der(beta.certPem), "site").name).toBe("beta");
    }
    // A site certificate on the admin service: refused for its role, counted on its own.
    expect(() => watched.authenticate(der(beta.certPem), "admin")).toThrow();
    expect(() => watched.authenticate(undefined, "site")).toThrow();
    expect(reports.map(({ fingerprint, reason, refusals }) => [fingerprint, reason, refusals])).toEqual([
      [alpha.fingerprint, "certificate refused: revoked", 1],
      [alpha.fingerprint, "certificate refused: revoked", 10],
      [beta.fingerprint, "certificate refused: wrong-role", 1],
      ["", "a client certificate is required", 1],
    ]);
    expect(reports[0]?.subject).toContain("CN=alpha");
  });
});
