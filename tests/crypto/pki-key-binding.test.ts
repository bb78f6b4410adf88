// Certificate-rooted site keys (issue 18 §1): a coordinator cannot substitute a peer's identity or envelope key, nor a CKKS key sealer.
import { beforeAll, describe, expect, it } from "vitest";
import { createCa, issueCertificate } from "../../coordinator/pki/index.ts";
import type { IssuedCertificate, KeyAndCertificate } from "../../coordinator/pki/index.ts";
import { openBlob, sealBlob, type SealBinding } from "../../crypto/ckks/sealed-box.ts";
import { CkksFormatError } from "../../crypto/ckks/wire.ts";
import { generateSigningKeyPair, generateX25519KeyPair } from "../../crypto/keys.ts";
import type { X25519KeyPair } from "../../crypto/keys.ts";
import { NO_REVOCATIONS, PkiError } from "../../crypto/pki/identity.ts";
import type { PkiErrorCode } from "../../crypto/pki/identity.ts";
import { signSiteKeys, verifyRelayedSiteKeys, verifySiteKeys } from "../../crypto/pki/key-binding.ts";
import type { CertifiedSiteKeys, TrustAnchor } from "../../crypto/pki/key-binding.ts";
import { seededRng } from "../../crypto/rng.ts";

interface Site {
  readonly cert: IssuedCertificate;
  readonly envelope: X25519KeyPair;
  readonly keys: CertifiedSiteKeys;
}

let ca: KeyAndCertificate;
let foreignCa: KeyAndCertificate;
let coordinator: IssuedCertificate;
let sites: Map<string, Site>;
let trust: TrustAnchor;
const rng = seededRng("key-binding");

async function enrol(name: string, authority: KeyAndCertificate = ca): Promise<Site> {
  const cert = await issueCertificate(authority, { role: "site", name });
  const identityKey = generateSigningKeyPair(rng).publicKey;
  const envelope = generateX25519KeyPair(rng);
  const signature = signSiteKeys(cert.certPem, cert.keyPem, identityKey, envelope.publicKey);
  return {
    cert,
    envelope,
    keys: { certificate: cert.certPem, identityKey, envelopeKey: envelope.publicKey, signature },
  };
}

function refusal(f: () => unknown): PkiErrorCode | "accepted" {
  try {
    f();
    return "accepted";
  } catch (error) {
    if (error instanceof PkiError) return error.code;
    throw error;
  }
}

beforeAll(async () => {
  ca = await createCa({ commonName: "key-binding-consortium" });
  foreignCa = await createCa({ commonName: "elsewhere" });
  coordinator = await issueCertificate(ca, { role: "coordinator", name: "coordinator" });
  sites = new Map();
  for (const name of ["site-a", "site-b", "site-c"]) sites.set(name, await enrol(name));
  trust = { caCert: ca.certPem, revocations: NO_REVOCATIONS };
});

const site = (name: string) => sites.get(name) as Site;

/** A site's keys as a coordinator relays them in a key ceremony step (a KeyHolder). */
const relayed = (siteId: string, keys: CertifiedSiteKeys) => ({
  siteId,
  identityKey: keys.identityKey,
  envelopePublicKey: keys.envelopeKey,
  certificate: keys.certificate,
  certificateKeySignature: keys.signature,
});

describe("certified site keys", () => {
  it("verify against the CA when the site's certificate signed them", () => {
    expect(verifySiteKeys(site("site-b").keys, trust, "site-b").name).toBe("site-b");
  });

  it("refuse a peer key the coordinator substituted, whichever key and whoever signs", () => {
    const b = site("site-b");
    const own = generateSigningKeyPair(rng).publicKey;
    const ownEnvelope = generateX25519KeyPair(rng).publicKey;
    // b's certificate and signature, the coordinator's identity or envelope key.
    expect(refusal(() => verifySiteKeys({ ...b.keys, identityKey: own }, trust, "site-b"))).toBe(
      "bad-signature",
    );
    expect(refusal(() => verifySiteKeys({ ...b.keys, envelopeKey: ownEnvelope }, trust, "site-b"))).toBe(
      "bad-signature",
    );
    // b's certificate, the coordinator's keys signed with the coordinator's certificate key.
    const signedByCoordinator = signSiteKeys(b.cert.certPem, coordinator.keyPem, own, ownEnvelope);
    expect(
      refusal(() =>
        verifySiteKeys(
          { ...b.keys, identityKey: own, envelopeKey: ownEnvelope, signature: signedByCoordinator },
          trust,
          "site-b",
        ),
      ),
    ).toBe("bad-signature");
    // The coordinator's own certificate, properly signed: not a site.
    const asCoordinator = {
      certificate: coordinator.certPem,
      identityKey: own,
      envelopeKey: ownEnvelope,
      signature: signSiteKeys(coordinator.certPem, coordinator.keyPem, own, ownEnvelope),
    };
    expect(refusal(() => verifySiteKeys(asCoordinator, trust, "site-b"))).toBe("wrong-role");
    // Another site's genuine keys passed off as b's.
    expect(refusal(() => verifySiteKeys(site("site-c").keys, trust, "site-b"))).toBe("wrong-site");
  });

  it("refuse revoked certificates and certificates of another CA", async () => {
    const b = site("site-b");
    const revoked = {
      ...trust,
      revocations: { fingerprints: new Set([b.cert.fingerprint]), serialNumbers: new Set<string>() },
    };
    expect(refusal(() => verifySiteKeys(b.keys, revoked, "site-b"))).toBe("revoked");
    const stranger = await enrol("site-b", foreignCa);
    expect(refusal(() => verifySiteKeys(stranger.keys, trust, "site-b"))).toBe("unknown-ca");
  });
});

describe("CKKS key ceremony sealers", () => {
  const binding: SealBinding = {
    label: "ckks-key-share",
    context: "federation/epoch-1",
    fingerprint: new Uint8Array(16).fill(7),
    senderId: "site-b",
    recipientId: "site-a",
  };
  const secretKey = Uint8Array.from([1, 2, 3, 4, 5]);

  it("refuses an envelope the coordinator sealed in a peer's name with a key of its own", () => {
    const a = site("site-a");
    const coordinatorBox = generateX25519KeyPair(rng);
    const forged = sealBlob(
      binding,
      Uint8Array.from([9, 9, 9]),
      coordinatorBox.secretKey,
      a.envelope.publicKey,
      rng,
    );
    const [sealer] = verifyRelayedSiteKeys([relayed("site-b", site("site-b").keys)], trust);
    const open = (envelope: Uint8Array) =>
      openBlob(binding, envelope, sealer?.envelopePublicKey ?? new Uint8Array(32), a.envelope.secretKey);
    expect(() => open(forged)).toThrow(CkksFormatError);
    const genuine = sealBlob(
      binding,
      secretKey,
      site("site-b").envelope.secretKey,
      a.envelope.publicKey,
      rng,
    );
    expect(Array.from(open(genuine))).toEqual(Array.from(secretKey));
  });

  it("refuses a sealer whose envelope key its certificate did not sign", () => {
    const b = site("site-b");
    const substituted = { ...b.keys, envelopeKey: generateX25519KeyPair(rng).publicKey };
    expect(() => verifyRelayedSiteKeys([relayed("site-b", substituted)], trust)).toThrow(
      /the keys relayed for site-b: the keys of site-b are not signed by its certificate/,
    );
  });
});
