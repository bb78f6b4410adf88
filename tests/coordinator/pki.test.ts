// Consortium PKI: issued certificates verify; other-CA, revoked, wrong-role and tampered ones are refused.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCa,
  initPki,
  issueCertificate,
  issueIdentity,
  listIssued,
  loadCaCertificate,
  loadRevocations,
  NO_REVOCATIONS,
  openRevocationSource,
  parsePeerIdentity,
  PkiError,
  pkiPaths,
  revoke,
  verifyPeer,
} from "../../coordinator/pki/index.ts";
import type { KeyAndCertificate, PkiErrorCode } from "../../coordinator/pki/index.ts";
import { errorCode } from "./helpers/error-code.ts";

function refusal(action: () => unknown): PkiErrorCode | "accepted" {
  return errorCode(PkiError, action);
}

describe("PKI folder", () => {
  let dir: string;
  let caCert: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "fedtune-pki-"));
    await initPki(dir);
    caCert = loadCaCertificate(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses to overwrite an existing CA", async () => {
    await expect(initPki(dir)).rejects.toMatchObject({ code: "exists" });
  });

  it("issues certificates whose identity and role verify against the CA", async () => {
    const issued = await issueIdentity(dir, { role: "site", name: "hospital-a" });
    const pem = readFileSync(issued.certPath, "utf8");
    expect(readFileSync(issued.keyPath, "utf8")).toContain("-----BEGIN PRIVATE KEY-----");
    const identity = verifyPeer(pem, caCert, loadRevocations(dir), { roles: ["site"] });
    expect(identity).toEqual({
      name: "hospital-a",
      role: "site",
      fingerprint: issued.fingerprint,
      serialNumber: issued.serialNumber,
    });
    expect(parsePeerIdentity(new Uint8Array(Buffer.from(pem.split("-----")[2] ?? "", "base64")))).toEqual(
      identity,
    );
  });

  it("refuses a second live certificate for one name and an unsafe name, writing nothing", async () => {
    await issueIdentity(dir, { role: "admin", name: "ops" });
    const before = listIssued(dir).length;
    await expect(issueIdentity(dir, { role: "site", name: "ops" })).rejects.toMatchObject({ code: "exists" });
    await expect(issueIdentity(dir, { role: "site", name: "../evil" })).rejects.toMatchObject({
      code: "invalid-name",
    });
    expect(listIssued(dir)).toHaveLength(before);
  });

  it("puts hosts into coordinator certificates for TLS hostname checks", async () => {
    const issued = await issueIdentity(dir, {
      role: "coordinator",
      name: "coord",
      hosts: ["coord.example.org", "10.0.0.7"],
    });
    const { X509Certificate } = await import("node:crypto");
    const cert = new X509Certificate(issued.certPem);
    expect(cert.checkHost("coord.example.org")).toBe("coord.example.org");
    expect(cert.checkIP("10.0.0.7")).toBe("10.0.0.7");
    expect(
      refusal(() => verifyPeer(issued.certPem, caCert, NO_REVOCATIONS, { roles: ["coordinator"] })),
    ).toBe("accepted");
  });

  it("refuses a revoked certificate, and a revocation source picks the change up without a restart", async () => {
    const issued = await issueIdentity(dir, { role: "site", name: "hospital-b" });
    const source = openRevocationSource(dir);
    expect(refusal(() => verifyPeer(issued.certPem, caCert, source.current()))).toBe("accepted");
    const added = await revoke(dir, "hospital-b");
    expect(added.map((entry) => entry.fingerprint)).toEqual([issued.fingerprint]);
    expect(refusal(() => verifyPeer(issued.certPem, caCert, source.current()))).toBe("revoked");
    expect(readFileSync(pkiPaths(dir).crl, "utf8")).toContain("-----BEGIN X509 CRL-----");
    await expect(revoke(dir, "hospital-b")).rejects.toMatchObject({ code: "not-found" });
    const reissued = await issueIdentity(dir, { role: "site", name: "hospital-b" });
    expect(refusal(() => verifyPeer(reissued.certPem, caCert, source.current()))).toBe("accepted");
  });

  it("fails closed when the revocation list is corrupted", async () => {
    await issueIdentity(dir, { role: "site", name: "hospital-c" });
    const source = openRevocationSource(dir);
    const path = pkiPaths(dir).revocations;
    const good = readFileSync(path, "utf8");
    writeFileSync(path, "{ not json");
    expect(() => source.current()).toThrow(PkiError);
    writeFileSync(path, good);
  });
});

describe("verifyPeer", () => {
  let ca: KeyAndCertificate;
  let otherCa: KeyAndCertificate;

  beforeAll(async () => {
    [ca, otherCa] = await Promise.all([createCa(), createCa({ commonName: "impostor CA" })]);
  });

  it("refuses a certificate from another CA, even with the same name and role", async () => {
    const foreign = await issueCertificate(otherCa, { role: "site", name: "hospital-a" });
    expect(refusal(() => verifyPeer(foreign.certPem, ca.certPem, NO_REVOCATIONS))).toBe("unknown-ca");
  });

  it("refuses the wrong role", async () => {
    const site = await issueCertificate(ca, { role: "site", name: "hospital-a" });
    expect(refusal(() => verifyPeer(site.certPem, ca.certPem, NO_REVOCATIONS, { roles: ["admin"] }))).toBe(
      "wrong-role",
    );
  });

  it("refuses an expired certificate", async () => {
    const site = await issueCertificate(ca, { role: "site", name: "hospital-a", validityDays: 1 });
    const later = new Date(Date.now() + 3 * 86_400_000);
    expect(refusal(() => verifyPeer(site.certPem, ca.certPem, NO_REVOCATIONS, { now: later }))).toBe(
      "expired",
    );
  });

  it("refuses garbage and a tampered certificate", async () => {
    expect(refusal(() => verifyPeer("not a certificate", ca.certPem, NO_REVOCATIONS))).toBe("malformed");
    const site = await issueCertificate(ca, { role: "site", name: "hospital-a" });
    const der = Buffer.from(site.certPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
    // Flip one bit in the middle of the to-be-signed part: the signature no longer matches.
    const tampered = Buffer.from(der);
    tampered[Math.floor(der.length / 2)] = (tampered[Math.floor(der.length / 2)] ?? 0) ^ 0x01;
    expect(["unknown-ca", "malformed"]).toContain(
      refusal(() => verifyPeer(tampered, ca.certPem, NO_REVOCATIONS)),
    );
  });
});
