// Key agreement (X25519), signatures (Ed25519) and authenticated share encryption (XSalsa20-Poly1305) for SecAgg.
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  sign as nodeSign,
  timingSafeEqual,
  verify as nodeVerify,
  type KeyObject,
} from "node:crypto";
import nacl from "tweetnacl";
import { CryptoError, ParameterError } from "./errors.ts";
import type { Rng } from "./rng.ts";
import { isFieldElement } from "./shamir.ts";

export const X25519_KEY_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
const ED25519_SEED_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
const SECRETBOX_KEY_BYTES = nacl.secretbox.keyLength;
/** Overhead of {@link sealBox}: 24-byte nonce plus 16-byte Poly1305 tag. */
export const SEALED_OVERHEAD_BYTES = nacl.secretbox.nonceLength + nacl.secretbox.overheadLength;

export interface X25519KeyPair {
  readonly publicKey: Uint8Array;
  /** Clamped scalar (RFC 7748 §5 decodeScalar25519 applied up front), so it is also an element of GF(2^255 − 19). */
  readonly secretKey: Uint8Array;
}

export interface SigningKeyPair {
  readonly publicKey: Uint8Array;
  /** The 32-byte Ed25519 seed (RFC 8032 §5.1.5 private key). */
  readonly seed: Uint8Array;
}

/** Equality of two public byte strings (keys); not constant-time, so never for comparing secrets. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function checkLength(name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length)
    throw new ParameterError(`${name} must be ${length} bytes, got ${bytes.length}`);
}

/**
 * Fresh X25519 key pair. The scalar is clamped here and redrawn in the (probability 2^−252) case
 * that it is not below 2^255 − 19, so that SecAgg can Shamir-share it over that prime field.
 */
export function generateX25519KeyPair(rng: Rng): X25519KeyPair {
  const secretKey = new Uint8Array(X25519_KEY_BYTES);
  for (;;) {
    rng.fill(secretKey);
    // RFC 7748 §5: clear the 3 low bits and the top bit, set bit 254.
    secretKey[0] = (secretKey[0] as number) & 248;
    secretKey[31] = ((secretKey[31] as number) & 127) | 64;
    if (isFieldElement(secretKey)) break;
  }
  return { publicKey: x25519PublicKey(secretKey), secretKey };
}

/**
 * The public key of an X25519 secret scalar, from node:crypto's import of the secret (which derives
 * it anyway, faster than tweetnacl's scalarMult.base, and is then kept for the agreements to come).
 */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  checkLength("x25519 secret key", secretKey, X25519_KEY_BYTES);
  const spki = createPublicKey(x25519PrivateKey(secretKey)).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(X25519_SPKI_PREFIX.length));
}

// RFC 8410 DER prefixes wrapping a raw 32-byte X25519 key for node:crypto.
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const X25519_SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

/**
 * X25519(own.secretKey, peerPublicKey) (RFC 7748 §5) on node:crypto (OpenSSL), ~5× faster
 * than tweetnacl.scalarMult here (0.12 ms against 0.6 ms); tests check both against RFC 7748.
 * The keys go in as DER (RFC 8410): a JWK import of the private key also re-derives and checks its
 * public key, a second scalar multiplication per agreement (a third of a SecAgg+ round's site CPU at
 * 1,000 sites, bench/scale-round.ts). OpenSSL refuses an all-zero result, i.e. a small-order peer
 * point, as RFC 7748 §6.1 asks. `own.publicKey` must be the public key of `own.secretKey`.
 */
export function x25519(own: X25519KeyPair, peerPublicKey: Uint8Array): Uint8Array {
  checkLength("x25519 secret key", own.secretKey, X25519_KEY_BYTES);
  checkLength("x25519 public key", own.publicKey, X25519_KEY_BYTES);
  checkLength("x25519 public key", peerPublicKey, X25519_KEY_BYTES);
  try {
    const publicKey = publicKeyObject(X25519_SPKI_PREFIX, peerPublicKey);
    return new Uint8Array(diffieHellman({ privateKey: x25519PrivateKey(own.secretKey), publicKey }));
  } catch {
    throw new CryptoError("invalid-key", "x25519: peer key is a small-order point");
  }
}

/**
 * Importing an X25519 private key still derives its public key (a scalar multiplication, ~0.6 ms),
 * and a SecAgg+ site agrees with every neighbour under the same key: the imported key is kept with
 * the array that holds the secret (and its contents at import, so that a changed or wiped array is
 * imported again), and goes when that array goes.
 */
const importedX25519Keys = new WeakMap<
  Uint8Array,
  { readonly secret: Uint8Array; readonly key: KeyObject }
>();

function x25519PrivateKey(secretKey: Uint8Array): KeyObject {
  const imported = importedX25519Keys.get(secretKey);
  if (imported !== undefined && timingSafeEqual(imported.secret, secretKey)) return imported.key;
  const der = Buffer.concat([X25519_PKCS8_PREFIX, secretKey]);
  try {
    const key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    importedX25519Keys.set(secretKey, { secret: Uint8Array.from(secretKey), key });
    return key;
  } finally {
    der.fill(0);
  }
}

/**
 * Public keys as node:crypto objects, remembered by their bytes: an import costs ~0.2 ms and a
 * site verifies a peer's identity key every round, and in a simulation every neighbour of a site
 * imports the same keys. Past MAX_PUBLIC_KEYS distinct keys the memo starts over.
 */
const MAX_PUBLIC_KEYS = 10_000;
const publicKeyObjects = new Map<string, KeyObject>();

function publicKeyObject(spkiPrefix: Buffer, publicKey: Uint8Array): KeyObject {
  const der = Buffer.concat([spkiPrefix, publicKey]);
  const name = der.toString("base64");
  const known = publicKeyObjects.get(name);
  if (known !== undefined) return known;
  const key = createPublicKey({ key: der, format: "der", type: "spki" });
  if (publicKeyObjects.size >= MAX_PUBLIC_KEYS) publicKeyObjects.clear();
  publicKeyObjects.set(name, key);
  return key;
}

// RFC 8410 DER prefixes wrapping a raw 32-byte Ed25519 key for node:crypto.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * Ed25519 signing key pair from the rng. Ed25519 runs on node:crypto (OpenSSL) rather than
 * tweetnacl: verification is ~40× faster there (0.2 ms against 8 ms measured), and a site
 * verifies one signature per neighbour twice a round. Tests cross-check both implementations.
 */
export function generateSigningKeyPair(rng: Rng): SigningKeyPair {
  const seed = new Uint8Array(ED25519_SEED_BYTES);
  rng.fill(seed);
  return { publicKey: signingPublicKey(seed), seed };
}

function privateKeyObject(seed: Uint8Array) {
  checkLength("ed25519 seed", seed, ED25519_SEED_BYTES);
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

/** The Ed25519 public key of a seed. */
export function signingPublicKey(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: "der", type: "spki" });
  return new Uint8Array(spki.subarray(ED25519_SPKI_PREFIX.length));
}

/** Ed25519 signature (RFC 8032 §5.1.6) of `message`. */
export function signMessage(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, privateKeyObject(seed)));
}

/** Ed25519 verification (RFC 8032 §5.1.7); false for any malformed key or signature. */
export function verifySignature(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_BYTES || publicKey.length !== ED25519_PUBLIC_KEY_BYTES)
    return false;
  try {
    return nodeVerify(null, message, publicKeyObject(ED25519_SPKI_PREFIX, publicKey), signature);
  } catch {
    return false;
  }
}

/** nonce ‖ XSalsa20-Poly1305(key, nonce, plaintext) with a fresh random nonce (tweetnacl secretbox). */
export function sealBox(plaintext: Uint8Array, key: Uint8Array, rng: Rng): Uint8Array {
  checkLength("secretbox key", key, SECRETBOX_KEY_BYTES);
  const nonce = new Uint8Array(nacl.secretbox.nonceLength);
  rng.fill(nonce);
  const box = nacl.secretbox(plaintext, nonce, key);
  const out = new Uint8Array(nonce.length + box.length);
  out.set(nonce);
  out.set(box, nonce.length);
  return out;
}

/** Opens a {@link sealBox} output; null when it was forged, altered or sealed under another key. */
export function openBox(sealed: Uint8Array, key: Uint8Array): Uint8Array | null {
  checkLength("secretbox key", key, SECRETBOX_KEY_BYTES);
  if (sealed.length < SEALED_OVERHEAD_BYTES) return null;
  const n = nacl.secretbox.nonceLength;
  return nacl.secretbox.open(sealed.subarray(n), sealed.subarray(0, n), key);
}

/** The bytes a site signs at Join to bind its identity and envelope keys to its certificate (fedtune.proto, JoinRequest.key_binding_signature). */
export function joinBindingPayload(
  fingerprintHex: string,
  identityKey: Uint8Array,
  envelopeKey: Uint8Array,
): Uint8Array {
  const label = new TextEncoder().encode("fedtune-join-v1");
  const fingerprint = Buffer.from(fingerprintHex, "hex");
  const out = new Uint8Array(label.length + fingerprint.length + identityKey.length + envelopeKey.length);
  out.set(label, 0);
  out.set(fingerprint, label.length);
  out.set(identityKey, label.length + fingerprint.length);
  out.set(envelopeKey, label.length + fingerprint.length + identityKey.length);
  return out;
}
