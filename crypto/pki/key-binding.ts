// Certificate-rooted site keys: a site signs its SecAgg identity key and envelope key with its certificate's private key, and every peer verifies the CA chain, the revocation list and that signature before using either key (issue 18 §1).
//
// Without this a site takes its peers' keys from the coordinator, and a coordinator that substitutes
// its own key for a peer's (the same one at every site, so the round config hashes still agree) reads
// that peer's shares, or seals a CKKS key of its own choosing. The certificate's key never leaves
// the site's TLS key file; the coordinator relays the signed binding and cannot forge one.
// Used by SecAgg+ (identity keys of the roster), the CKKS key ceremony (sealers' and recipients'
// envelope keys) and the multiparty CKKS shares alike: one check, one place.
import { createPrivateKey, sign, verify } from "node:crypto";
import { joinBindingPayload } from "../keys.ts";
import { certificateFingerprint, certificateOf, PkiError, verifyPeer } from "./identity.ts";
import type { CertificateInput, PeerIdentity, Revocations } from "./identity.ts";

/** What a site publishes about itself, relayed unchanged by the coordinator. */
export interface CertifiedSiteKeys {
  /** The site's certificate (PEM or DER) under the consortium CA. */
  readonly certificate: CertificateInput;
  /** Ed25519 identity key (32 bytes): signs SecAgg+ advertisements and consistency lists. */
  readonly identityKey: Uint8Array;
  /** X25519 envelope key (32 bytes): CKKS key envelopes are sealed to and by it. */
  readonly envelopeKey: Uint8Array;
  /** ECDSA by the certificate's key over joinBindingPayload(fingerprint, identityKey, envelopeKey). */
  readonly signature: Uint8Array;
}

/** What a verifier trusts: the consortium CA and its current revocation list. */
export interface TrustAnchor {
  readonly caCert: CertificateInput;
  readonly revocations: Revocations;
  /** The instant validity is judged at (tests); defaults to now. */
  readonly now?: Date;
}

/** The site's signature binding its two public keys to its certificate (SHA-256 with the certificate's key). */
export function signSiteKeys(
  certificate: CertificateInput,
  certificateKeyPem: string,
  identityKey: Uint8Array,
  envelopeKey: Uint8Array,
): Uint8Array {
  const payload = joinBindingPayload(certificateFingerprint(certificate), identityKey, envelopeKey);
  return new Uint8Array(sign("sha256", payload, createPrivateKey(certificateKeyPem)));
}

/**
 * Verifies that `keys` belong to site `siteId`: its certificate chains to the CA, is in its validity
 * period, is not revoked, has role site and names `siteId`, and its key signed both public keys.
 * Throws PkiError otherwise; returns the certificate's identity. Call before using either key.
 */
export function verifySiteKeys(keys: CertifiedSiteKeys, trust: TrustAnchor, siteId: string): PeerIdentity {
  const identity = verifyPeer(keys.certificate, trust.caCert, trust.revocations, {
    roles: ["site"],
    ...(trust.now === undefined ? {} : { now: trust.now }),
  });
  if (identity.name !== siteId) {
    throw new PkiError(
      "wrong-site",
      `keys announced for ${siteId} come with the certificate of ${identity.name}`,
    );
  }
  verifySiteKeySignature(keys, siteId);
  return identity;
}

/**
 * The signature part of {@link verifySiteKeys} alone: the certificate's key signed both public keys.
 * For the coordinator at Join, whose TLS handshake already checked that same certificate against the
 * CA and the revocation list. Throws PkiError; returns the certificate's fingerprint.
 */
export function verifySiteKeySignature(keys: CertifiedSiteKeys, siteId: string): string {
  if (keys.identityKey.length !== 32 || keys.envelopeKey.length !== 32) {
    throw new PkiError("malformed", `keys of ${siteId} must be 32 bytes each`);
  }
  const fingerprint = certificateFingerprint(keys.certificate);
  const payload = joinBindingPayload(fingerprint, keys.identityKey, keys.envelopeKey);
  const binding = `${Buffer.from(payload).toString("base64")}:${Buffer.from(keys.signature).toString("base64")}`;
  if (verifiedBindings.has(binding)) return fingerprint;
  let valid: boolean;
  try {
    valid = verify("sha256", payload, certificateOf(keys.certificate).publicKey, keys.signature);
  } catch {
    valid = false;
  }
  if (!valid) throw new PkiError("bad-signature", `the keys of ${siteId} are not signed by its certificate`);
  if (verifiedBindings.size >= MAX_VERIFIED_BINDINGS) verifiedBindings.clear();
  verifiedBindings.add(binding);
  return fingerprint;
}

/**
 * Signed bindings that verified, by payload (certificate fingerprint and both keys) and signature: a
 * site's keys and their signature stay the same from round to round, and each of its neighbours
 * checks them every round. Past MAX_VERIFIED_BINDINGS the memo starts over.
 */
const MAX_VERIFIED_BINDINGS = 10_000;
const verifiedBindings = new Set<string>();

/** A peer's keys as a coordinator relays them to a site (the wire's roster entry, key holder or recipient). */
export interface RelayedSiteKeys {
  readonly siteId: string;
  readonly identityKey: Uint8Array;
  readonly envelopePublicKey: Uint8Array;
  readonly certificate: CertificateInput;
  readonly certificateKeySignature: Uint8Array;
}

/**
 * {@link verifySiteKeys} for every peer a coordinator relayed: returns them once all verify, so that a
 * caller uses only keys that passed. Throws PkiError naming the first peer that fails.
 */
export function verifyRelayedSiteKeys<T extends RelayedSiteKeys>(
  peers: readonly T[],
  trust: TrustAnchor,
): readonly T[] {
  for (const peer of peers) {
    const keys = {
      certificate: peer.certificate,
      identityKey: peer.identityKey,
      envelopeKey: peer.envelopePublicKey,
      signature: peer.certificateKeySignature,
    };
    try {
      verifySiteKeys(keys, trust, peer.siteId);
    } catch (error) {
      if (!(error instanceof PkiError)) throw error;
      throw new PkiError(error.code, `the keys relayed for ${peer.siteId}: ${error.message}`);
    }
  }
  return peers;
}
