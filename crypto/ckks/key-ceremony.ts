// Key ceremony: the dealer site seals the consortium's CKKS secret key to each site's X25519 key (tweetnacl box); the coordinator only relays opaque envelopes.
//
// nacl.box is X25519 + XSalsa20-Poly1305 (Bernstein, "Cryptography in NaCl", 2009): authenticated
// encryption under the Diffie–Hellman secret of the dealer's and the recipient's keys. The coordinator
// relaying the envelope has neither secret key, so it can neither read nor alter one undetected. The
// recipient checks the sealer's public key against the one the sealer's certificate signed
// (certifiedSealer), never against one the coordinator or the envelope names: only so can a
// coordinator not slip in a key of its own (issue 18 §1). The plaintext repeats the key id, both site ids and the parameters fingerprint, so an
// envelope cannot be replayed to another site, another ceremony or other parameters.
//
// A site that joins after the ceremony is keyed by a handoff (the KeyHolders transitions at the end): the
// coordinator asks one key holder to open its own envelope and seal the key to the newcomer
// (handOnConsortiumKey), binding the holder as the envelope's sealer. The coordinator still relays only
// envelopes; until the newcomer holds the key it is not picked for rounds.
import nacl from "tweetnacl";
import { ProtocolError } from "../errors.ts";
import { verifySiteKeys } from "../pki/key-binding.ts";
import type { CertifiedSiteKeys, TrustAnchor } from "../pki/key-binding.ts";
import type { Rng } from "../rng.ts";
import type { SiteId } from "../site-id.ts";
import { FINGERPRINT_BYTES } from "./params.ts";
import { CkksFormatError } from "./wire.ts";

/** A sealer (dealer or key holder) with the envelope key a recipient may check an envelope against. */
export interface TrustedSealer {
  readonly siteId: string;
  readonly boxPublicKey: Uint8Array;
}

/**
 * The sealer `siteId` as its own certificate vouches for it: the envelope key from its certified keys,
 * after the CA chain, revocation list, role, name and signature are checked (crypto/pki/key-binding.ts).
 * Pass the result as `dealer` to {@link openConsortiumKey}; a header's or task's key is never trusted.
 */
export function certifiedSealer(siteId: string, keys: CertifiedSiteKeys, trust: TrustAnchor): TrustedSealer {
  verifySiteKeys(keys, trust, siteId);
  return { siteId, boxPublicKey: keys.envelopeKey };
}

const MAGIC = [0x46, 0x54, 0x4b, 0x45]; // "FTKE"
const VERSION = 1;
const CONTEXT_LABEL = new TextEncoder().encode("fedtune/ckks-key-envelope/v1");
const MAX_ID_BYTES = 1024;

export interface SealKeyRequest {
  /** The serialized consortium secret key (generateConsortiumSecretKey). */
  readonly secretKey: Uint8Array;
  /** Identifies this ceremony (e.g. federation id and key epoch); the recipient must expect it. */
  readonly keyId: string;
  readonly paramsFingerprint: Uint8Array;
  readonly dealer: { readonly siteId: string; readonly boxSecretKey: Uint8Array };
  readonly recipient: { readonly siteId: string; readonly boxPublicKey: Uint8Array };
  /** Source of the 24-byte nonce: a CSPRNG in production. */
  readonly rng: Rng;
}

export interface OpenKeyRequest {
  readonly envelope: Uint8Array;
  readonly keyId: string;
  readonly paramsFingerprint: Uint8Array;
  /** The dealer as the recipient already knows it: the box key is checked against this, not the envelope. */
  readonly dealer: { readonly siteId: string; readonly boxPublicKey: Uint8Array };
  readonly recipient: { readonly siteId: string; readonly boxSecretKey: Uint8Array };
}

class ByteWriter {
  private readonly parts: Uint8Array[] = [];
  bytes(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }
  lengthPrefixed(b: Uint8Array): this {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, b.length, true);
    return this.bytes(len).bytes(b);
  }
  text(s: string): this {
    return this.lengthPrefixed(new TextEncoder().encode(s));
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((sum, p) => sum + p.length, 0));
    let offset = 0;
    for (const p of this.parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}

class ByteReader {
  private offset = 0;
  constructor(private readonly input: Uint8Array) {}
  bytes(n: number, what: string): Uint8Array {
    if (this.offset + n > this.input.length) throw new CkksFormatError(`key envelope truncated in ${what}`);
    const out = this.input.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  lengthPrefixed(what: string, max: number): Uint8Array {
    const field = this.bytes(4, what);
    // A view with its own offset: a pooled Node Buffer shares one ArrayBuffer with other data.
    const n = new DataView(field.buffer, field.byteOffset, field.byteLength).getUint32(0, true);
    if (n > max) throw new CkksFormatError(`key envelope ${what} is ${n} bytes (limit ${max})`);
    return this.bytes(n, what);
  }
  text(what: string): string {
    return new TextDecoder("utf-8", { fatal: true }).decode(this.lengthPrefixed(what, MAX_ID_BYTES));
  }
  end(): void {
    if (this.offset !== this.input.length) throw new CkksFormatError("trailing bytes in key envelope");
  }
}

function checkKey(name: string, key: Uint8Array, length: number): void {
  if (key.length !== length) throw new CkksFormatError(`${name} must be ${length} bytes, got ${key.length}`);
}

/** The authenticated inner header that binds the key to this ceremony, these sites and these parameters. */
function boundHeader(
  keyId: string,
  dealerId: string,
  recipientId: string,
  fingerprint: Uint8Array,
): Uint8Array {
  return new ByteWriter()
    .lengthPrefixed(CONTEXT_LABEL)
    .text(keyId)
    .text(dealerId)
    .text(recipientId)
    .lengthPrefixed(fingerprint)
    .finish();
}

/** Envelope for one recipient: magic, version, dealer id, recipient id, dealer public key, nonce, box. */
export function sealConsortiumKey(request: SealKeyRequest): Uint8Array {
  const { dealer, recipient } = request;
  checkKey("dealer box secret key", dealer.boxSecretKey, nacl.box.secretKeyLength);
  checkKey("recipient box public key", recipient.boxPublicKey, nacl.box.publicKeyLength);
  checkKey("parameters fingerprint", request.paramsFingerprint, FINGERPRINT_BYTES);
  const header = boundHeader(request.keyId, dealer.siteId, recipient.siteId, request.paramsFingerprint);
  const plaintext = new ByteWriter().bytes(header).lengthPrefixed(request.secretKey).finish();
  const nonce = new Uint8Array(nacl.box.nonceLength);
  request.rng.fill(nonce);
  const box = nacl.box(plaintext, nonce, recipient.boxPublicKey, dealer.boxSecretKey);
  plaintext.fill(0);
  const dealerPublicKey = nacl.box.keyPair.fromSecretKey(dealer.boxSecretKey).publicKey;
  return new ByteWriter()
    .bytes(Uint8Array.from([...MAGIC, VERSION]))
    .text(dealer.siteId)
    .text(recipient.siteId)
    .bytes(dealerPublicKey)
    .bytes(nonce)
    .lengthPrefixed(box)
    .finish();
}

/**
 * Opens an envelope addressed to this site and returns the serialized secret key (the caller loads it
 * with openSiteSession and then zeroes it). Throws {@link CkksFormatError} if the envelope is malformed,
 * was not made by the expected dealer for this site, ceremony and parameters, or was altered.
 */
export function openConsortiumKey(request: OpenKeyRequest): Uint8Array {
  const { dealer, recipient } = request;
  checkKey("dealer box public key", dealer.boxPublicKey, nacl.box.publicKeyLength);
  checkKey("recipient box secret key", recipient.boxSecretKey, nacl.box.secretKeyLength);
  const reader = new ByteReader(request.envelope);
  const prefix = reader.bytes(5, "magic");
  if (!MAGIC.every((b, i) => prefix[i] === b) || prefix[4] !== VERSION)
    throw new CkksFormatError("not a fedtune key envelope (bad magic or version)");
  const dealerId = reader.text("dealer id");
  const recipientId = reader.text("recipient id");
  const dealerPublicKey = reader.bytes(nacl.box.publicKeyLength, "dealer public key");
  const nonce = reader.bytes(nacl.box.nonceLength, "nonce");
  const box = reader.lengthPrefixed("box", 64 * 1024 * 1024);
  reader.end();
  if (dealerId !== dealer.siteId || recipientId !== recipient.siteId)
    throw new CkksFormatError(
      `key envelope is from ${dealerId} to ${recipientId}, not from ${dealer.siteId} to ${recipient.siteId}`,
    );
  if (!nacl.verify(dealerPublicKey, dealer.boxPublicKey))
    throw new CkksFormatError("key envelope names a dealer key other than the trusted one");
  const plaintext = nacl.box.open(box, nonce, dealer.boxPublicKey, recipient.boxSecretKey);
  if (plaintext === null)
    throw new CkksFormatError("key envelope does not open: not for this site's key, or altered");
  try {
    const expectedHeader = boundHeader(
      request.keyId,
      dealer.siteId,
      recipient.siteId,
      request.paramsFingerprint,
    );
    const inner = new ByteReader(plaintext);
    const header = inner.bytes(expectedHeader.length, "bound header");
    if (!nacl.verify(header, expectedHeader))
      throw new CkksFormatError("key envelope was made for another ceremony, site or parameter set");
    const secretKey = inner.lengthPrefixed("secret key", 64 * 1024 * 1024).slice();
    inner.end();
    return secretKey;
  } finally {
    plaintext.fill(0);
  }
}

export interface HandOnKeyRequest {
  /** This site's own envelope, as FetchKeys returned it. */
  readonly ownEnvelope: Uint8Array;
  readonly keyId: string;
  readonly paramsFingerprint: Uint8Array;
  /** Who sealed this site's own envelope (the dealer, or the holder that keyed this site late). */
  readonly ownSealer: { readonly siteId: string; readonly boxPublicKey: Uint8Array };
  /** This site: it opens its envelope, then seals the key as the new envelope's sealer. */
  readonly holder: { readonly siteId: string; readonly boxSecretKey: Uint8Array };
  readonly recipients: readonly { readonly siteId: string; readonly boxPublicKey: Uint8Array }[];
  readonly rng: Rng;
}

/**
 * A handoff: opens the holder's own envelope and seals the same key to each late recipient, with the
 * holder as sealer (so the recipient checks the holder's key, bound to its identity at Join). The key
 * bytes are zeroed before returning; the envelopes come back in the order of `recipients`.
 */
export function handOnConsortiumKey(request: HandOnKeyRequest): Uint8Array[] {
  const secretKey = openConsortiumKey({
    envelope: request.ownEnvelope,
    keyId: request.keyId,
    paramsFingerprint: request.paramsFingerprint,
    dealer: request.ownSealer,
    recipient: request.holder,
  });
  try {
    return request.recipients.map((recipient) =>
      sealConsortiumKey({
        secretKey,
        keyId: request.keyId,
        paramsFingerprint: request.paramsFingerprint,
        dealer: request.holder,
        recipient,
        rng: request.rng,
      }),
    );
  } finally {
    secretKey.fill(0);
  }
}

// ---- Key holders and handoffs: pure transitions (STYLE.md item 4), driven by the coordinator ----

/** One handoff in flight: `holder` must seal the key to `recipient` by `deadlineAt`. */
export interface KeyHandoff {
  readonly recipient: SiteId;
  readonly holder: SiteId;
  readonly deadlineAt: number;
  /** True once the holder was handed the step (Poll); it may publish only then. */
  readonly delivered: boolean;
}

/** Who holds one ceremony's key, and the handoffs to sites that joined after it. */
export interface KeyHolders {
  readonly keyId: string;
  readonly holders: ReadonlySet<SiteId>;
  /** By recipient: at most one handoff per late site at a time. */
  readonly handoffs: ReadonlyMap<SiteId, KeyHandoff>;
  /** Handoffs tried per recipient: a retry after an expired one asks the next holder. */
  readonly tries: ReadonlyMap<SiteId, number>;
}

/** The state after a ceremony (or a restart): `holders` are the sites with an envelope. */
export function keyHolders(keyId: string, holders: Iterable<SiteId>): KeyHolders {
  return { keyId, holders: new Set(holders), handoffs: new Map(), tries: new Map() };
}

export function holdsKey(state: KeyHolders, site: SiteId): boolean {
  return state.holders.has(site);
}

/**
 * Drops expired handoffs and assigns a holder to every waiting site without one. `candidates` are the
 * holders that can act now (online, owing nothing to a running round); with none, sites keep waiting.
 * Returns `state` itself when nothing changed, so callers can tell (and wake pollers only then).
 */
export function planHandoffs(
  state: KeyHolders,
  input: {
    readonly waiting: readonly SiteId[];
    readonly candidates: readonly SiteId[];
    readonly now: number;
    readonly deadlineMs: number;
  },
): KeyHolders {
  const handoffs = new Map(state.handoffs);
  const tries = new Map(state.tries);
  let changed = false;
  for (const [recipient, handoff] of handoffs) {
    if (input.now > handoff.deadlineAt || state.holders.has(recipient)) {
      handoffs.delete(recipient);
      changed = true;
    }
  }
  const candidates = [...new Set(input.candidates)].filter((site) => state.holders.has(site)).sort();
  for (const recipient of [...new Set(input.waiting)].sort()) {
    if (state.holders.has(recipient) || handoffs.has(recipient)) continue;
    const eligible = candidates.filter((site) => site !== recipient);
    if (eligible.length === 0) continue;
    const tried = tries.get(recipient) ?? 0;
    const holder = eligible[tried % eligible.length] as SiteId;
    handoffs.set(recipient, {
      recipient,
      holder,
      deadlineAt: input.now + input.deadlineMs,
      delivered: false,
    });
    tries.set(recipient, tried + 1);
    changed = true;
  }
  return changed ? { ...state, handoffs, tries } : state;
}

/** The recipients `holder` must seal to now (live handoffs not yet handed to it), marked delivered. */
export function deliverHandoffs(
  state: KeyHolders,
  holder: SiteId,
  now: number,
): { readonly state: KeyHolders; readonly recipients: readonly SiteId[]; readonly deadlineAt: number } {
  const due = [...state.handoffs.values()]
    .filter((h) => h.holder === holder && !h.delivered && now <= h.deadlineAt)
    .sort((a, b) => (a.recipient < b.recipient ? -1 : 1));
  if (due.length === 0) return { state, recipients: [], deadlineAt: now };
  const handoffs = new Map(state.handoffs);
  for (const h of due) handoffs.set(h.recipient, { ...h, delivered: true });
  return {
    state: { ...state, handoffs },
    recipients: due.map((h) => h.recipient),
    deadlineAt: Math.min(...due.map((h) => h.deadlineAt)),
  };
}

/** Recipients whose handoff `holder` was handed and may still publish. */
export function deliveredHandoffs(state: KeyHolders, holder: SiteId, now: number): SiteId[] {
  return [...state.handoffs.values()]
    .filter((h) => h.holder === holder && h.delivered && now <= h.deadlineAt)
    .map((h) => h.recipient)
    .sort();
}

/**
 * The holder published envelopes for `recipients`: each must be a live handoff delivered to this holder,
 * named once. They become holders; anything else is a ProtocolError and changes nothing.
 */
export function acceptHandoff(
  state: KeyHolders,
  holder: SiteId,
  recipients: readonly SiteId[],
  now: number,
): KeyHolders {
  if (recipients.length === 0)
    throw new ProtocolError("malformed", "a handoff carries at least one envelope", { siteId: holder });
  if (new Set(recipients).size !== recipients.length)
    throw new ProtocolError("duplicate", "a recipient is named twice", { siteId: holder });
  for (const recipient of recipients) {
    const handoff = state.handoffs.get(recipient);
    if (handoff === undefined || handoff.holder !== holder)
      throw new ProtocolError("unknown-site", "no handoff to this recipient was asked of this site", {
        siteId: holder,
      });
    if (!handoff.delivered)
      throw new ProtocolError("wrong-stage", "the handoff was not handed to this site yet", {
        expectedStage: "handoff-delivered",
        receivedStage: "handoff-planned",
        siteId: holder,
      });
    if (now > handoff.deadlineAt)
      throw new ProtocolError("wrong-stage", "the handoff's deadline passed", {
        expectedStage: "handoff-delivered",
        receivedStage: "handoff-expired",
        siteId: holder,
      });
  }
  const holders = new Set(state.holders);
  const handoffs = new Map(state.handoffs);
  for (const recipient of recipients) {
    holders.add(recipient);
    handoffs.delete(recipient);
  }
  return { ...state, holders, handoffs };
}
