// Sealed blobs between key holders (Shamir shares of a secret key, decryption shares): tweetnacl box, so the coordinator that relays them can neither read nor alter one.
//
// nacl.box is X25519 + XSalsa20-Poly1305 (Bernstein, "Cryptography in NaCl", 2009): authenticated
// encryption under the Diffie–Hellman secret of the sender's and the recipient's keys. The plaintext
// repeats a label (what the blob is), the context (ceremony, round), both site ids and the parameters'
// fingerprint, so a blob cannot be replayed to another site, purpose, ceremony or parameter set. The
// recipient opens with the sender's key as it already knows it, never with one the blob names (the sender's
// certified keys, client/node/session.ts certifiedPeers). A payload for many recipients (a decryption share
// under reveal: sites) is sealed once under a fresh key, and only that key per recipient (sealForRecipients).
import { createHash } from "node:crypto";
import nacl from "tweetnacl";
import type { Rng } from "../rng.ts";
import { FINGERPRINT_BYTES } from "./params.ts";
import { CkksFormatError } from "./wire.ts";

const MAGIC = [0x46, 0x54, 0x53, 0x42]; // "FTSB"
const VERSION = 1;
const MAX_ID_BYTES = 1024;
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** What a sealed blob is bound to: both ends check every field. */
export interface SealBinding {
  /** What the payload is ("ckks-key-share", "ckks-decryption-share"). */
  readonly label: string;
  /** The ceremony id, and the round for a decryption share. */
  readonly context: string;
  readonly fingerprint: Uint8Array;
  readonly senderId: string;
  readonly recipientId: string;
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
    if (this.offset + n > this.input.length) throw new CkksFormatError(`sealed blob truncated in ${what}`);
    const out = this.input.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
  lengthPrefixed(what: string, max: number): Uint8Array {
    const field = this.bytes(4, what);
    // A view with its own offset: a pooled Node Buffer shares one ArrayBuffer with other data.
    const n = new DataView(field.buffer, field.byteOffset, field.byteLength).getUint32(0, true);
    if (n > max) throw new CkksFormatError(`sealed blob ${what} is ${n} bytes (limit ${max})`);
    return this.bytes(n, what);
  }
  text(what: string): string {
    return new TextDecoder("utf-8", { fatal: true }).decode(this.lengthPrefixed(what, MAX_ID_BYTES));
  }
  end(): void {
    if (this.offset !== this.input.length) throw new CkksFormatError("trailing bytes in sealed blob");
  }
}

function checkKey(name: string, key: Uint8Array, length: number): void {
  if (key.length !== length) throw new CkksFormatError(`${name} must be ${length} bytes, got ${key.length}`);
}

function boundHeader(binding: SealBinding): Uint8Array {
  checkKey("parameters fingerprint", binding.fingerprint, FINGERPRINT_BYTES);
  return new ByteWriter()
    .text(binding.label)
    .text(binding.context)
    .text(binding.senderId)
    .text(binding.recipientId)
    .lengthPrefixed(binding.fingerprint)
    .finish();
}

/** Seals `payload` from the sender (its X25519 secret key) to the recipient (its X25519 public key). */
export function sealBlob(
  binding: SealBinding,
  payload: Uint8Array,
  senderSecretKey: Uint8Array,
  recipientPublicKey: Uint8Array,
  rng: Rng,
): Uint8Array {
  checkKey("sender box secret key", senderSecretKey, nacl.box.secretKeyLength);
  checkKey("recipient box public key", recipientPublicKey, nacl.box.publicKeyLength);
  const plaintext = new ByteWriter().bytes(boundHeader(binding)).lengthPrefixed(payload).finish();
  const nonce = new Uint8Array(nacl.box.nonceLength);
  rng.fill(nonce);
  const box = nacl.box(plaintext, nonce, recipientPublicKey, senderSecretKey);
  plaintext.fill(0);
  return new ByteWriter()
    .bytes(Uint8Array.from([...MAGIC, VERSION]))
    .text(binding.senderId)
    .text(binding.recipientId)
    .bytes(nonce)
    .lengthPrefixed(box)
    .finish();
}

/**
 * Opens a blob sealed to this site by `binding.senderId`, whose box key the recipient already trusts.
 * Throws {@link CkksFormatError} if it is malformed, not from that sender to this site, bound to another
 * purpose, ceremony, round or parameter set, or altered. The caller zeroes the payload after use.
 */
export function openBlob(
  binding: SealBinding,
  sealed: Uint8Array,
  senderPublicKey: Uint8Array,
  recipientSecretKey: Uint8Array,
): Uint8Array {
  checkKey("sender box public key", senderPublicKey, nacl.box.publicKeyLength);
  checkKey("recipient box secret key", recipientSecretKey, nacl.box.secretKeyLength);
  const reader = new ByteReader(sealed);
  const prefix = reader.bytes(5, "magic");
  if (!MAGIC.every((b, i) => prefix[i] === b) || prefix[4] !== VERSION)
    throw new CkksFormatError("not a fedtune sealed blob (bad magic or version)");
  const senderId = reader.text("sender id");
  const recipientId = reader.text("recipient id");
  const nonce = reader.bytes(nacl.box.nonceLength, "nonce");
  const box = reader.lengthPrefixed("box", MAX_PAYLOAD_BYTES);
  reader.end();
  if (senderId !== binding.senderId || recipientId !== binding.recipientId)
    throw new CkksFormatError(
      `sealed blob is from ${senderId} to ${recipientId}, not from ${binding.senderId} to ${binding.recipientId}`,
    );
  const plaintext = nacl.box.open(box, nonce, senderPublicKey, recipientSecretKey);
  if (plaintext === null)
    throw new CkksFormatError("sealed blob does not open: not for this site's key, or altered");
  try {
    const expected = boundHeader(binding);
    const inner = new ByteReader(plaintext);
    if (!nacl.verify(inner.bytes(expected.length, "bound header"), expected))
      throw new CkksFormatError("sealed blob was made for another purpose, ceremony, round or parameter set");
    const payload = inner.lengthPrefixed("payload", MAX_PAYLOAD_BYTES).slice();
    inner.end();
    return payload;
  } finally {
    plaintext.fill(0);
  }
}

const BODY_MAGIC = [0x46, 0x54, 0x53, 0x4d]; // "FTSM"
const KEY_ENVELOPE_BYTES = nacl.secretbox.keyLength + 32;

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(bytes).digest());

/** A payload sealed once for many recipients: one body, and per recipient the body's key sealed to it. */
export interface MultiSealed {
  readonly body: Uint8Array;
  /** By recipient id: a sealed blob (sealBlob) of the body key and the body's SHA-256. */
  readonly keys: ReadonlyMap<string, Uint8Array>;
}

/**
 * Seals `payload` from the sender to every recipient for the cost of one encryption of it: the payload
 * under a fresh secretbox key, and that key with the body's SHA-256 sealed to each recipient under
 * `binding` (its recipientId is each recipient's). A relay moves one body and n 64-byte keys instead of
 * n payloads. The hash in each key envelope binds the body: a recipient that knows the key cannot pass
 * another body off to the other recipients.
 */
export function sealForRecipients(
  binding: Omit<SealBinding, "recipientId">,
  payload: Uint8Array,
  senderSecretKey: Uint8Array,
  recipients: readonly { readonly id: string; readonly publicKey: Uint8Array }[],
  rng: Rng,
): MultiSealed {
  const key = new Uint8Array(nacl.secretbox.keyLength);
  const nonce = new Uint8Array(nacl.secretbox.nonceLength);
  rng.fill(key);
  rng.fill(nonce);
  const body = new ByteWriter()
    .bytes(Uint8Array.from([...BODY_MAGIC, VERSION]))
    .bytes(nonce)
    .bytes(nacl.secretbox(payload, nonce, key))
    .finish();
  const envelope = new ByteWriter().bytes(key).bytes(sha256(body)).finish();
  try {
    const keys = new Map(
      recipients.map((r) => [
        r.id,
        sealBlob({ ...binding, recipientId: r.id }, envelope, senderSecretKey, r.publicKey, rng),
      ]),
    );
    return { body, keys };
  } finally {
    key.fill(0);
    envelope.fill(0);
  }
}

/**
 * Opens a body sealed by sealForRecipients with this recipient's key envelope. Throws {@link CkksFormatError}
 * if the envelope does not open (openBlob's checks), or the body is not the one it names, or altered.
 */
export function openFromSender(
  binding: SealBinding,
  body: Uint8Array,
  keyEnvelope: Uint8Array,
  senderPublicKey: Uint8Array,
  recipientSecretKey: Uint8Array,
): Uint8Array {
  const envelope = openBlob(binding, keyEnvelope, senderPublicKey, recipientSecretKey);
  try {
    if (envelope.length !== KEY_ENVELOPE_BYTES)
      throw new CkksFormatError("sealed body key has the wrong size");
    const key = envelope.subarray(0, nacl.secretbox.keyLength);
    if (!nacl.verify(envelope.subarray(nacl.secretbox.keyLength), sha256(body)))
      throw new CkksFormatError("sealed body is not the one its key was sealed for");
    const reader = new ByteReader(body);
    const prefix = reader.bytes(5, "magic");
    if (!BODY_MAGIC.every((b, i) => prefix[i] === b) || prefix[4] !== VERSION)
      throw new CkksFormatError("not a fedtune sealed body (bad magic or version)");
    const nonce = reader.bytes(nacl.secretbox.nonceLength, "nonce");
    const payload = nacl.secretbox.open(reader.bytes(body.length - 5 - nonce.length, "box"), nonce, key);
    if (payload === null) throw new CkksFormatError("sealed body does not open: altered");
    return payload;
  } finally {
    envelope.fill(0);
  }
}
