// Collective CKKS public key (Mouchet, Troncoso-Pastoriza, Bossuat & Hubaux, PETS 2021, collective public-key generation): each key holder publishes −a·s_i + e_i over a common a; the key is (Σ, a).
//
// The common polynomial a is expanded from a seed that hashes every holder's nonce in roster order, so the
// coordinator cannot choose it. A holder signs (ceremony, seed, its share's digest) with its Ed25519
// identity key; a site checks every signature against keys it already trusts (from the roster, not from
// the transcript) and recomputes the sum before it encrypts under the key. A site's own SEAL public key
// (−a'·s_i + e' for SEAL's own a') never leaves it: next to its share it would give a second sample of s_i.
import { createHash } from "node:crypto";
import { ProtocolError } from "../errors.ts";
import { equalBytes, signMessage, verifySignature } from "../keys.ts";
import type { Rng } from "../rng.ts";
import { polyBytes, type Poly } from "./modular.ts";
import { freshNoisePoly, uniformPolyFromSeed } from "./sampling.ts";
import { readCiphertext, readSecretKey, writeCiphertext } from "./seal-format.ts";
import type { PolyTools } from "./threshold-params.ts";
import { CkksFormatError } from "./wire.ts";

export const CEREMONY_NONCE_BYTES = 32;
const SEED_LABEL = "fedtune/ckks-common-seed/v1";
const SHARE_LABEL = "fedtune/ckks-public-key-share/v1";

/** One holder's public entry in the ceremony transcript. */
export interface PublicKeyShareEntry {
  readonly siteId: string;
  /** The holder's contribution to the common seed. */
  readonly nonce: Uint8Array;
  /** −a·s_i + e_i in NTT form: N little-endian u64 words. */
  readonly share: Uint8Array;
  /** Ed25519 signature of {@link shareStatement} by the holder. */
  readonly signature: Uint8Array;
}

export interface KeyTranscript {
  readonly ceremonyId: string;
  /** Holders in roster order. */
  readonly entries: readonly PublicKeyShareEntry[];
}

function lengthPrefixed(hash: ReturnType<typeof createHash>, bytes: Uint8Array): void {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes.length);
  hash.update(length).update(bytes);
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** seed = SHA-256(label, ceremony id, every (site id, nonce) in roster order). */
export function commonSeed(
  ceremonyId: string,
  contributions: readonly { readonly siteId: string; readonly nonce: Uint8Array }[],
): Uint8Array {
  const hash = createHash("sha256");
  lengthPrefixed(hash, utf8(SEED_LABEL));
  lengthPrefixed(hash, utf8(ceremonyId));
  for (const { siteId, nonce } of contributions) {
    if (nonce.length !== CEREMONY_NONCE_BYTES)
      throw new CkksFormatError(
        `nonce of ${siteId} has ${nonce.length} bytes, expected ${CEREMONY_NONCE_BYTES}`,
      );
    lengthPrefixed(hash, utf8(siteId));
    lengthPrefixed(hash, nonce);
  }
  return new Uint8Array(hash.digest());
}

/** What a holder signs: its share bound to the ceremony and the common seed. */
export function shareStatement(
  ceremonyId: string,
  seed: Uint8Array,
  siteId: string,
  share: Uint8Array,
): Uint8Array {
  const hash = createHash("sha256");
  for (const part of [utf8(SHARE_LABEL), utf8(ceremonyId), seed, utf8(siteId), share])
    lengthPrefixed(hash, part);
  return new Uint8Array(hash.digest());
}

/** A holder's secret s_i as a polynomial (NTT form), from its SEAL SecretKey saved with compr_mode none. */
export function secretKeyPoly(tools: PolyTools, sealSecretKey: Uint8Array): Poly {
  const s = readSecretKey(sealSecretKey, { degree: tools.degree, parmsId: tools.parmsId });
  if (!tools.modulus.isReduced(s)) throw new CkksFormatError("secret key: coefficients not reduced mod q");
  return s;
}

/** A fresh SEAL secret key for a holder, serialized uncompressed (SEAL samples it from its own CSPRNG). */
export function generateHolderSecretKey(tools: PolyTools): Uint8Array {
  const { seal, context } = tools.ctx;
  const generator = seal.KeyGenerator(context);
  const secretKey = generator.secretKey();
  try {
    return secretKey.saveArray(seal.ComprModeType.none as Parameters<typeof secretKey.saveArray>[0]);
  } finally {
    secretKey.delete();
    generator.delete();
  }
}

/** Parses a share from the wire: exactly N words, each below q. */
export function parsePolyBytes(tools: PolyTools, bytes: Uint8Array, what: string): Poly {
  if (bytes.length !== tools.degree * 8)
    throw new CkksFormatError(`${what}: ${bytes.length} bytes, expected ${tools.degree * 8}`);
  const poly = new Uint32Array(Uint8Array.from(bytes).buffer);
  if (!tools.modulus.isReduced(poly)) throw new CkksFormatError(`${what}: coefficients not reduced mod q`);
  return poly;
}

/** −a·s_i + e_i with fresh e_i, signed: the holder's transcript entry. */
export function createPublicKeyShare(
  tools: PolyTools,
  request: {
    readonly ceremonyId: string;
    readonly seed: Uint8Array;
    readonly siteId: string;
    readonly nonce: Uint8Array;
    readonly secretKey: Poly;
    readonly signingSeed: Uint8Array;
    readonly rng: Rng;
  },
): PublicKeyShareEntry {
  const { modulus } = tools;
  const a = uniformPolyFromSeed(tools, request.seed);
  const share = modulus.zeroPoly();
  modulus.mulPoly(share, a, request.secretKey);
  const noise = freshNoisePoly(tools, request.rng);
  modulus.subPoly(share, noise, share);
  noise.fill(0);
  const bytes = polyBytes(share);
  const statement = shareStatement(request.ceremonyId, request.seed, request.siteId, bytes);
  return {
    siteId: request.siteId,
    nonce: request.nonce,
    share: bytes,
    signature: signMessage(statement, request.signingSeed),
  };
}

/** The collective public key (Σ p_i, a) as a SEAL PublicKey (uncompressed), which SEAL's Encryptor loads. */
export function collectivePublicKey(tools: PolyTools, transcript: KeyTranscript): Uint8Array {
  const seed = commonSeed(transcript.ceremonyId, transcript.entries);
  const sum = tools.modulus.zeroPoly();
  for (const entry of transcript.entries)
    tools.modulus.addPoly(
      sum,
      sum,
      parsePolyBytes(tools, entry.share, `public-key share of ${entry.siteId}`),
    );
  return writeCiphertext([sum, uniformPolyFromSeed(tools, seed)], tools.parmsId, 1);
}

/**
 * What a site checks before it encrypts under `publicKey`: the transcript lists exactly the expected
 * holders in roster order, its own nonce is in it, every share is signed by its holder's trusted key
 * over this ceremony and seed, and the key is (Σ shares, a(seed)). Throws a ProtocolError otherwise.
 */
export function verifyCollectiveKey(
  tools: PolyTools,
  check: {
    readonly transcript: KeyTranscript;
    readonly publicKey: Uint8Array;
    /** Holders and their Ed25519 identity keys, as this site already trusts them, in roster order. */
    readonly holders: readonly { readonly siteId: string; readonly signingPublicKey: Uint8Array }[];
    readonly own?: { readonly siteId: string; readonly nonce: Uint8Array };
  },
): void {
  const { transcript, holders, own } = check;
  const entries = transcript.entries;
  if (entries.length !== holders.length || entries.some((e, i) => e.siteId !== holders[i]?.siteId))
    throw new ProtocolError("unknown-site", "key transcript does not list the expected key holders");
  if (own !== undefined && !entries.some((e) => e.siteId === own.siteId && equalBytes(e.nonce, own.nonce)))
    throw new ProtocolError("malformed", "key transcript does not carry this site's own nonce");
  const seed = commonSeed(transcript.ceremonyId, entries);
  entries.forEach((entry, i) => {
    const statement = shareStatement(transcript.ceremonyId, seed, entry.siteId, entry.share);
    if (!verifySignature(statement, entry.signature, holders[i]?.signingPublicKey ?? new Uint8Array()))
      throw new ProtocolError("bad-signature", `public-key share of ${entry.siteId} is not signed by it`, {
        siteId: entry.siteId,
      });
  });
  // Compared polynomial by polynomial, so a key with other metadata (scale, parms_id) is refused by the parser.
  const [b, a] = readCiphertext(
    check.publicKey,
    { degree: tools.degree, parmsId: tools.parmsId },
    "public key",
  ).polys;
  const [expectedB, expectedA] = readCiphertext(
    collectivePublicKey(tools, transcript),
    tools,
    "public key",
  ).polys;
  if (!equalBytes(polyBytes(b), polyBytes(expectedB)) || !equalBytes(polyBytes(a), polyBytes(expectedA)))
    throw new ProtocolError(
      "malformed",
      "public key is not the sum of the signed shares over the common polynomial",
    );
}
