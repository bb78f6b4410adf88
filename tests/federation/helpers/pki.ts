// Test PKI: a consortium CA with coordinator, site and admin identities, plus a foreign CA.
import {
  createCa,
  initPki,
  issueCertificate,
  issueIdentity,
  type KeyAndCertificate,
  type Revocations,
} from "../../../coordinator/pki/index.ts";
import type { TlsIdentity } from "../../../proto/transport.ts";

export interface TestPki {
  readonly ca: KeyAndCertificate;
  readonly coordinator: TlsIdentity;
  readonly admin: TlsIdentity;
  /** Site identities by name. */
  readonly sites: ReadonlyMap<
    string,
    TlsIdentity & { readonly fingerprint: string; readonly serialNumber: string }
  >;
  /** A site certificate from another CA: must be refused. */
  readonly stranger: TlsIdentity;
}

export async function createTestPki(siteNames: readonly string[]): Promise<TestPki> {
  const ca = await createCa({ commonName: "test-consortium" });
  const identity = async (role: "coordinator" | "site" | "admin", name: string, authority = ca) => {
    const issued = await issueCertificate(authority, { role, name });
    return {
      caPem: ca.certPem,
      certPem: issued.certPem,
      keyPem: issued.keyPem,
      fingerprint: issued.fingerprint,
      serialNumber: issued.serialNumber,
    };
  };
  const sites = new Map<string, Awaited<ReturnType<typeof identity>>>();
  for (const name of siteNames) sites.set(name, await identity("site", name));
  const foreign = await createCa({ commonName: "other-consortium" });
  return {
    ca,
    coordinator: await identity("coordinator", "coordinator"),
    admin: await identity("admin", "operator"),
    sites,
    stranger: await identity("site", siteNames[0] ?? "stranger", foreign),
  };
}

/** A mutable revocation list for tests (production reads revocations.json). */
export function revocationList(): { revoke(fingerprint: string): void; current(): Revocations } {
  const fingerprints = new Set<string>();
  return {
    revoke: (fingerprint) => fingerprints.add(fingerprint),
    current: () => ({ fingerprints, serialNumbers: new Set() }),
  };
}

/**
 * The identities of {@link createTestPki}, issued into a real PKI folder as `fedtune pki init` and `pki issue` do,
 * so that `revoke(dir, name)` (what `fedtune pki revoke` runs) writes the revocation list a coordinator reads.
 */
export async function createTestPkiFolder(dir: string, siteNames: readonly string[]): Promise<TestPki> {
  const ca = await initPki(dir, { commonName: "test-consortium" });
  const identity = async (role: "coordinator" | "site" | "admin", name: string) => {
    const issued = await issueIdentity(dir, { role, name });
    return { caPem: ca.certPem, ...issued };
  };
  const sites = new Map<string, Awaited<ReturnType<typeof identity>>>();
  for (const name of siteNames) sites.set(name, await identity("site", name));
  const foreign = await createCa({ commonName: "other-consortium" });
  const stranger = await issueCertificate(foreign, { role: "site", name: siteNames[0] ?? "stranger" });
  return {
    ca,
    coordinator: await identity("coordinator", "coordinator"),
    admin: await identity("admin", "operator"),
    sites,
    stranger: { caPem: ca.certPem, certPem: stranger.certPem, keyPem: stranger.keyPem },
  };
}
