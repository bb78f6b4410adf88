// SecAgg+ wire messages: plain objects with byte-array fields, one per protocol step, and their exact validators.
import { ProtocolError } from "../errors.ts";
import { ED25519_SIGNATURE_BYTES, SEALED_OVERHEAD_BYTES, X25519_KEY_BYTES } from "../keys.ts";
import { SHAMIR_SHARE_BYTES } from "../shamir.ts";
import { IDENTITY_NAME_PATTERN } from "../pki/identity.ts";
import { parseSiteId, type SiteId } from "../site-id.ts";

export type { SiteId };

/** Stage 0, site → server: fresh per-round public keys, signed with the site's identity key (Bonawitz et al. 2017, Fig. 4, round 0). */
export interface AdvertiseKeysMessage {
  readonly kind: "advertise-keys";
  readonly roundId: number;
  readonly siteId: SiteId;
  /** X25519 key c_u^PK, for encrypting Shamir shares sent to this site (32 bytes). */
  readonly encryptionPublicKey: Uint8Array;
  /** X25519 key s_u^PK, for agreeing pairwise mask seeds (32 bytes). */
  readonly maskingPublicKey: Uint8Array;
  /** SHA-256 commitment to the self-mask seed b_u (32 bytes; round.ts, selfMaskCommitment). */
  readonly selfMaskCommitment: Uint8Array;
  /** Ed25519 over (session, round, round config hash, site, both keys, commitment) (64 bytes; round.ts, advertisementPayload). */
  readonly signature: Uint8Array;
}

/** Stage 1, server → site: the advertisements of the recipient's neighbours that advertised in time. */
export interface KeysBroadcastMessage {
  readonly kind: "keys-broadcast";
  readonly roundId: number;
  readonly recipient: SiteId;
  readonly advertisements: readonly AdvertiseKeysMessage[];
}

/** One encrypted pair of Shamir shares (masking key, self-mask seed) for one neighbour. */
export interface EncryptedShare {
  readonly recipient: SiteId;
  /** nonce ‖ secretbox(share of s_u^SK ‖ share of b_u): exactly {@link ENCRYPTED_SHARE_BYTES} bytes. */
  readonly ciphertext: Uint8Array;
}

/** Stage 1, site → server: one encrypted share pair per neighbour named in the keys broadcast (round 1). */
export interface ShareKeysMessage {
  readonly kind: "share-keys";
  readonly roundId: number;
  readonly siteId: SiteId;
  readonly encryptedShares: readonly EncryptedShare[];
}

/** An encrypted share pair as relayed to its recipient. */
export interface RelayedShare {
  readonly sender: SiteId;
  readonly ciphertext: Uint8Array;
}

/** Stage 2, server → site: the encrypted shares addressed to the recipient by neighbours that shared in time. */
export interface SharesDeliveryMessage {
  readonly kind: "shares-delivery";
  readonly roundId: number;
  readonly recipient: SiteId;
  readonly shares: readonly RelayedShare[];
}

/**
 * Stage 2, site → server: a contiguous slice of the masked input y_u (round 2). A site sends
 * its chunks in order, starting at offset 0, until the slices cover the whole vector.
 */
export interface MaskedInputChunkMessage {
  readonly kind: "masked-input-chunk";
  readonly roundId: number;
  readonly siteId: SiteId;
  readonly offset: number;
  readonly values: Uint32Array;
}

/** Stage 3, server → site: the sites whose masked input arrived complete (U3), to be signed (round 3). */
export interface ConsistencyRequestMessage {
  readonly kind: "consistency-request";
  readonly roundId: number;
  readonly recipient: SiteId;
  /** Sorted, without duplicates. */
  readonly survivors: readonly SiteId[];
}

/** Stage 3, site → server: Ed25519 signature over (session, round, round config hash, survivors). */
export interface ConsistencySignatureMessage {
  readonly kind: "consistency-signature";
  readonly roundId: number;
  readonly siteId: SiteId;
  readonly signature: Uint8Array;
}

export interface SiteSignature {
  readonly siteId: SiteId;
  readonly signature: Uint8Array;
}

/** Stage 4, server → site: the survivors again, with the consistency signatures of the recipient's neighbours (round 4). */
export interface UnmaskRequestMessage {
  readonly kind: "unmask-request";
  readonly roundId: number;
  readonly recipient: SiteId;
  readonly survivors: readonly SiteId[];
  readonly signatures: readonly SiteSignature[];
}

/** A revealed Shamir share of `owner`'s secret held by the responding site. */
export interface RevealedShare {
  readonly owner: SiteId;
  readonly share: Uint8Array;
}

/**
 * Stage 4, site → server: self-mask seed shares of surviving owners and masking-key shares of
 * owners that dropped after sharing; never both kinds for one owner.
 */
export interface UnmaskResponseMessage {
  readonly kind: "unmask-response";
  readonly roundId: number;
  readonly siteId: SiteId;
  readonly selfMaskShares: readonly RevealedShare[];
  readonly maskingKeyShares: readonly RevealedShare[];
}

export type ClientToServerMessage =
  | AdvertiseKeysMessage
  | ShareKeysMessage
  | MaskedInputChunkMessage
  | ConsistencySignatureMessage
  | UnmaskResponseMessage;

export type ServerToClientMessage =
  KeysBroadcastMessage | SharesDeliveryMessage | ConsistencyRequestMessage | UnmaskRequestMessage;

const PUBLIC_KEY_BYTES = X25519_KEY_BYTES;
/** A SHA-256 commitment to a self-mask seed (round.ts, selfMaskCommitment). */
export const SELF_MASK_COMMITMENT_BYTES = 32;
const COMMITMENT_BYTES = SELF_MASK_COMMITMENT_BYTES;
const SIGNATURE_BYTES = ED25519_SIGNATURE_BYTES;
export const SHARE_BYTES = SHAMIR_SHARE_BYTES;
/** A sealed box (24-byte nonce, 16-byte tag) around two shares. */
export const ENCRYPTED_SHARE_BYTES = SEALED_OVERHEAD_BYTES + 2 * SHARE_BYTES;

function malformed(what: string): never {
  throw new ProtocolError("malformed", `malformed message: ${what}`);
}

type Fields = Record<string, unknown>;

function record(x: unknown, kind: string, keys: readonly string[]): Fields {
  if (typeof x !== "object" || x === null || Array.isArray(x)) malformed(`${kind} is not an object`);
  const obj = x as Fields;
  const present = Object.keys(obj);
  for (const k of present) if (!keys.includes(k)) malformed(`${kind} has unexpected field "${k}"`);
  for (const k of keys) if (!(k in obj)) malformed(`${kind} lacks field "${k}"`);
  return obj;
}

function uint(x: unknown, what: string): number {
  if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0)
    malformed(`${what} must be a non-negative integer`);
  return x;
}

function bytes(x: unknown, what: string, length: number): Uint8Array {
  if (!(x instanceof Uint8Array)) malformed(`${what} must be a Uint8Array`);
  if (x.length !== length) malformed(`${what} must be ${length} bytes, got ${x.length}`);
  return x;
}

function siteId(x: unknown, what: string): SiteId {
  if (typeof x !== "string" || !IDENTITY_NAME_PATTERN.test(x)) malformed(`${what} must be a site id`);
  return parseSiteId(x);
}

function list<T>(x: unknown, what: string, item: (v: unknown, what: string) => T): T[] {
  if (!Array.isArray(x)) malformed(`${what} must be an array`);
  return x.map((v, i) => item(v, `${what}[${i}]`));
}

function sortedSites(x: unknown, what: string): SiteId[] {
  const ids = list(x, what, siteId);
  for (let i = 1; i < ids.length; i++) {
    if ((ids[i - 1] as string) >= (ids[i] as string)) malformed(`${what} must be sorted without duplicates`);
  }
  return ids;
}

function kindOf(x: unknown): string {
  const kind = typeof x === "object" && x !== null ? (x as Fields)["kind"] : undefined;
  return typeof kind === "string" ? kind : `<${typeof kind}>`;
}

function validateAdvertiseKeys(x: unknown): AdvertiseKeysMessage {
  const m = record(x, "advertise-keys", [
    "kind",
    "roundId",
    "siteId",
    "encryptionPublicKey",
    "maskingPublicKey",
    "selfMaskCommitment",
    "signature",
  ]);
  if (m["kind"] !== "advertise-keys") malformed("kind must be advertise-keys");
  return {
    kind: "advertise-keys",
    roundId: uint(m["roundId"], "roundId"),
    siteId: siteId(m["siteId"], "siteId"),
    encryptionPublicKey: bytes(m["encryptionPublicKey"], "encryptionPublicKey", PUBLIC_KEY_BYTES),
    maskingPublicKey: bytes(m["maskingPublicKey"], "maskingPublicKey", PUBLIC_KEY_BYTES),
    selfMaskCommitment: bytes(m["selfMaskCommitment"], "selfMaskCommitment", COMMITMENT_BYTES),
    signature: bytes(m["signature"], "signature", SIGNATURE_BYTES),
  };
}

function validateShareKeys(x: unknown): ShareKeysMessage {
  const m = record(x, "share-keys", ["kind", "roundId", "siteId", "encryptedShares"]);
  if (m["kind"] !== "share-keys") malformed("kind must be share-keys");
  return {
    kind: "share-keys",
    roundId: uint(m["roundId"], "roundId"),
    siteId: siteId(m["siteId"], "siteId"),
    encryptedShares: list(m["encryptedShares"], "encryptedShares", (v, w) => {
      const s = record(v, w, ["recipient", "ciphertext"]);
      return {
        recipient: siteId(s["recipient"], `${w}.recipient`),
        ciphertext: bytes(s["ciphertext"], `${w}.ciphertext`, ENCRYPTED_SHARE_BYTES),
      };
    }),
  };
}

function validateMaskedInputChunk(x: unknown): MaskedInputChunkMessage {
  const m = record(x, "masked-input-chunk", ["kind", "roundId", "siteId", "offset", "values"]);
  if (m["kind"] !== "masked-input-chunk") malformed("kind must be masked-input-chunk");
  const values = m["values"];
  if (!(values instanceof Uint32Array) || values.length === 0)
    malformed("values must be a non-empty Uint32Array");
  return {
    kind: "masked-input-chunk",
    roundId: uint(m["roundId"], "roundId"),
    siteId: siteId(m["siteId"], "siteId"),
    offset: uint(m["offset"], "offset"),
    values,
  };
}

function validateConsistencySignature(x: unknown): ConsistencySignatureMessage {
  const m = record(x, "consistency-signature", ["kind", "roundId", "siteId", "signature"]);
  if (m["kind"] !== "consistency-signature") malformed("kind must be consistency-signature");
  return {
    kind: "consistency-signature",
    roundId: uint(m["roundId"], "roundId"),
    siteId: siteId(m["siteId"], "siteId"),
    signature: bytes(m["signature"], "signature", SIGNATURE_BYTES),
  };
}

function revealed(v: unknown, w: string): RevealedShare {
  const s = record(v, w, ["owner", "share"]);
  return { owner: siteId(s["owner"], `${w}.owner`), share: bytes(s["share"], `${w}.share`, SHARE_BYTES) };
}

function validateUnmaskResponse(x: unknown): UnmaskResponseMessage {
  const m = record(x, "unmask-response", ["kind", "roundId", "siteId", "selfMaskShares", "maskingKeyShares"]);
  if (m["kind"] !== "unmask-response") malformed("kind must be unmask-response");
  return {
    kind: "unmask-response",
    roundId: uint(m["roundId"], "roundId"),
    siteId: siteId(m["siteId"], "siteId"),
    selfMaskShares: list(m["selfMaskShares"], "selfMaskShares", revealed),
    maskingKeyShares: list(m["maskingKeyShares"], "maskingKeyShares", revealed),
  };
}

function validateKeysBroadcast(x: unknown): KeysBroadcastMessage {
  const m = record(x, "keys-broadcast", ["kind", "roundId", "recipient", "advertisements"]);
  if (m["kind"] !== "keys-broadcast") malformed("kind must be keys-broadcast");
  return {
    kind: "keys-broadcast",
    roundId: uint(m["roundId"], "roundId"),
    recipient: siteId(m["recipient"], "recipient"),
    advertisements: list(m["advertisements"], "advertisements", validateAdvertiseKeys),
  };
}

function validateSharesDelivery(x: unknown): SharesDeliveryMessage {
  const m = record(x, "shares-delivery", ["kind", "roundId", "recipient", "shares"]);
  if (m["kind"] !== "shares-delivery") malformed("kind must be shares-delivery");
  return {
    kind: "shares-delivery",
    roundId: uint(m["roundId"], "roundId"),
    recipient: siteId(m["recipient"], "recipient"),
    shares: list(m["shares"], "shares", (v, w) => {
      const s = record(v, w, ["sender", "ciphertext"]);
      return {
        sender: siteId(s["sender"], `${w}.sender`),
        ciphertext: bytes(s["ciphertext"], `${w}.ciphertext`, ENCRYPTED_SHARE_BYTES),
      };
    }),
  };
}

function validateConsistencyRequest(x: unknown): ConsistencyRequestMessage {
  const m = record(x, "consistency-request", ["kind", "roundId", "recipient", "survivors"]);
  if (m["kind"] !== "consistency-request") malformed("kind must be consistency-request");
  return {
    kind: "consistency-request",
    roundId: uint(m["roundId"], "roundId"),
    recipient: siteId(m["recipient"], "recipient"),
    survivors: sortedSites(m["survivors"], "survivors"),
  };
}

function validateUnmaskRequest(x: unknown): UnmaskRequestMessage {
  const m = record(x, "unmask-request", ["kind", "roundId", "recipient", "survivors", "signatures"]);
  if (m["kind"] !== "unmask-request") malformed("kind must be unmask-request");
  return {
    kind: "unmask-request",
    roundId: uint(m["roundId"], "roundId"),
    recipient: siteId(m["recipient"], "recipient"),
    survivors: sortedSites(m["survivors"], "survivors"),
    signatures: list(m["signatures"], "signatures", (v, w) => {
      const s = record(v, w, ["siteId", "signature"]);
      return {
        siteId: siteId(s["siteId"], `${w}.siteId`),
        signature: bytes(s["signature"], `${w}.signature`, SIGNATURE_BYTES),
      };
    }),
  };
}

/** Exact structural check of anything claiming to be a site → server message; throws ProtocolError("malformed"). */
export function validateClientMessage(x: unknown): ClientToServerMessage {
  const kind = kindOf(x);
  switch (kind) {
    case "advertise-keys":
      return validateAdvertiseKeys(x);
    case "share-keys":
      return validateShareKeys(x);
    case "masked-input-chunk":
      return validateMaskedInputChunk(x);
    case "consistency-signature":
      return validateConsistencySignature(x);
    case "unmask-response":
      return validateUnmaskResponse(x);
    default:
      return malformed(`unknown site message kind "${kind}"`);
  }
}

/** Exact structural check of anything claiming to be a server → site message; throws ProtocolError("malformed"). */
export function validateServerMessage(x: unknown): ServerToClientMessage {
  const kind = kindOf(x);
  switch (kind) {
    case "keys-broadcast":
      return validateKeysBroadcast(x);
    case "shares-delivery":
      return validateSharesDelivery(x);
    case "consistency-request":
      return validateConsistencyRequest(x);
    case "unmask-request":
      return validateUnmaskRequest(x);
    default:
      return malformed(`unknown server message kind "${kind}"`);
  }
}

/** The five stages of the protocol (Bonawitz et al. 2017, Fig. 4, rounds 0–4), in order. */
export const PROTOCOL_STAGES = [
  "advertise-keys",
  "share-keys",
  "masked-input",
  "consistency-check",
  "unmask",
] as const;
export type ProtocolStage = (typeof PROTOCOL_STAGES)[number];

/** The stage a message belongs to: the stage its sender is in when it is sent or its recipient when it is handled. */
export function messageStage(
  kind: ClientToServerMessage["kind"] | ServerToClientMessage["kind"],
): ProtocolStage {
  switch (kind) {
    case "advertise-keys":
      return "advertise-keys";
    case "keys-broadcast":
    case "share-keys":
      return "share-keys";
    case "shares-delivery":
    case "masked-input-chunk":
      return "masked-input";
    case "consistency-request":
    case "consistency-signature":
      return "consistency-check";
    case "unmask-request":
    case "unmask-response":
      return "unmask";
  }
}
