// SecAgg+ site state machine: pure transitions from one stage to the next, each answering one server message.
import { CryptoError, ParameterError, ProtocolError } from "../errors.ts";
import {
  equalBytes,
  generateX25519KeyPair,
  openBox,
  sealBox,
  signMessage,
  signingPublicKey,
  verifySignature,
} from "../keys.ts";
import type { X25519KeyPair } from "../keys.ts";
import { applyMasks } from "../prg.ts";
import type { SignedMask } from "../prg.ts";
import type { Rng } from "../rng.ts";
import { isFieldElement, randomFieldElement, splitSecret } from "../shamir.ts";
import { PROTOCOL_STAGES, SHARE_BYTES, messageStage, validateServerMessage } from "./messages.ts";
import type {
  AdvertiseKeysMessage,
  ConsistencyRequestMessage,
  ConsistencySignatureMessage,
  KeysBroadcastMessage,
  MaskedInputChunkMessage,
  ProtocolStage,
  RevealedShare,
  ServerToClientMessage,
  ShareKeysMessage,
  SharesDeliveryMessage,
  SiteId,
  UnmaskRequestMessage,
  UnmaskResponseMessage,
} from "./messages.ts";
import {
  advertisementPayload,
  consistencyPayload,
  pairwiseMaskSeed,
  pairwiseSign,
  selfMaskSeed,
  shareEncryptionKey,
  shareIndex,
} from "./round.ts";
import type { SecAggRound } from "./round.ts";

interface ClientCommon {
  readonly round: SecAggRound;
  readonly siteId: SiteId;
  /** The site's long-term Ed25519 identity seed (owned by the caller; never zeroed here). */
  readonly identitySeed: Uint8Array;
  /**
   * Every secret buffer the site created or received this round (key pairs, b_u, Shamir shares),
   * carried from stage to stage so that {@link clientDispose} zeroes them whichever stage the
   * round ends in, including those a later stage no longer holds.
   */
  readonly secrets: readonly Uint8Array[];
}

export interface PeerKeys {
  readonly encryptionPublicKey: Uint8Array;
  readonly maskingPublicKey: Uint8Array;
}

/** This site's shares of one owner's two secrets (the owner may be the site itself). */
export interface HeldShares {
  readonly maskingKey: Uint8Array;
  readonly selfMask: Uint8Array;
}

/** Site state: each stage carries exactly what the next step needs (STYLE.md item 4). */
export type ClientState =
  | (ClientCommon & {
      readonly stage: "awaiting-keys";
      readonly encryptionKeys: X25519KeyPair;
      readonly maskingKeys: X25519KeyPair;
    })
  | (ClientCommon & {
      readonly stage: "awaiting-shares";
      readonly encryptionKeys: X25519KeyPair;
      readonly maskingKeys: X25519KeyPair;
      /** b_u, the seed of the self mask. */
      readonly selfMaskSecret: Uint8Array;
      /** Neighbours that advertised, with their verified keys. */
      readonly peers: ReadonlyMap<SiteId, PeerKeys>;
      readonly ownShares: HeldShares;
    })
  | (ClientCommon & {
      readonly stage: "awaiting-input";
      readonly maskingKeys: X25519KeyPair;
      readonly selfMaskSecret: Uint8Array;
      /** Neighbours whose shares arrived (U2 ∩ N(u)): exactly those to mask with. */
      readonly maskingPeers: ReadonlyMap<SiteId, Uint8Array>;
      /** Shares held, by owner (this site and maskingPeers). */
      readonly heldShares: ReadonlyMap<SiteId, HeldShares>;
    })
  | (ClientCommon & {
      readonly stage: "awaiting-consistency";
      readonly heldShares: ReadonlyMap<SiteId, HeldShares>;
    })
  | (ClientCommon & {
      readonly stage: "awaiting-unmask";
      readonly heldShares: ReadonlyMap<SiteId, HeldShares>;
      /** The survivor list this site signed; it reveals shares against no other. */
      readonly survivors: readonly SiteId[];
    })
  | (ClientCommon & { readonly stage: "done" });

export type ClientStage = ClientState["stage"];

/** The protocol stage whose server message each site stage waits for. */
const STAGE_OF: Record<ClientStage, ProtocolStage> = {
  "awaiting-keys": "share-keys",
  "awaiting-shares": "masked-input",
  "awaiting-input": "masked-input",
  "awaiting-consistency": "consistency-check",
  "awaiting-unmask": "unmask",
  done: "unmask",
};

export interface ClientStart {
  readonly state: ClientState;
  readonly message: AdvertiseKeysMessage;
}

export interface ClientTransition<M> {
  readonly state: ClientState;
  readonly message: M;
}

export interface CreateClientParams {
  /** The validated round, from {@link prepareRound} (one object may serve every simulated site). */
  readonly round: SecAggRound;
  readonly siteId: SiteId;
  /** 32-byte Ed25519 seed whose public key is config.identityKeys.get(siteId). */
  readonly identitySeed: Uint8Array;
  readonly rng: Rng;
}

/** Round 0 (Bonawitz et al. 2017, Fig. 4): fresh key pairs, signed advertisement. */
export function createClient(params: CreateClientParams): ClientStart {
  const { round, siteId, identitySeed, rng } = params;
  const { config } = round;
  const registered = config.identityKeys.get(siteId);
  if (round.graph.indexOf(siteId) === undefined || registered === undefined) {
    throw new ParameterError("secagg: this site is not on the roster");
  }
  if (!equalBytes(signingPublicKey(identitySeed), registered)) {
    throw new ParameterError("secagg: identity seed does not match the site's registered identity key");
  }
  const encryptionKeys = generateX25519KeyPair(rng);
  const maskingKeys = generateX25519KeyPair(rng);
  const payload = advertisementPayload(round, siteId, encryptionKeys.publicKey, maskingKeys.publicKey);
  const secrets = [encryptionKeys.secretKey, maskingKeys.secretKey];
  return {
    state: { stage: "awaiting-keys", round, siteId, identitySeed, secrets, encryptionKeys, maskingKeys },
    message: {
      kind: "advertise-keys",
      roundId: config.roundId,
      siteId,
      encryptionPublicKey: encryptionKeys.publicKey,
      maskingPublicKey: maskingKeys.publicKey,
      signature: signMessage(payload, identitySeed),
    },
  };
}

/**
 * Handles one server message. Throws ProtocolError (and leaves `state` untouched) for a
 * message of another stage, another round, another recipient, or with bad contents.
 */
export function clientReceive(
  state: ClientState,
  message: ServerToClientMessage,
  rng: Rng,
): ClientTransition<ShareKeysMessage | ConsistencySignatureMessage | UnmaskResponseMessage> | AwaitingInput {
  validateServerMessage(message);
  checkAddressing(state, message.roundId, message.recipient);
  switch (state.stage) {
    case "awaiting-keys":
      return message.kind === "keys-broadcast"
        ? onKeys(state, message, rng)
        : stageError(state, message.kind);
    case "awaiting-shares":
      return message.kind === "shares-delivery" ? onShares(state, message) : stageError(state, message.kind);
    case "awaiting-consistency":
      return message.kind === "consistency-request"
        ? onConsistency(state, message)
        : stageError(state, message.kind);
    case "awaiting-unmask":
      return message.kind === "unmask-request" ? onUnmask(state, message) : stageError(state, message.kind);
    case "awaiting-input":
    case "done":
      return stageError(state, message.kind);
  }
}

/** After the shares arrive the site waits for its local input; there is no message to send yet. */
export interface AwaitingInput {
  readonly state: ClientState & { readonly stage: "awaiting-input" };
  readonly message: null;
}

/**
 * Round 2: y_u = x_u + PRG(b_u) + Σ_{v ∈ U2 ∩ N(u)} ±PRG(s_uv) mod 2^32 (Bonawitz et al. 2017,
 * §4; Bell et al. 2020, Alg. 2), returned as in-order chunks of at most `chunkLength` entries
 * (views into one buffer). `input` is read, not modified.
 */
export function clientMaskInput(
  state: ClientState,
  input: Uint32Array,
  options: { chunkLength?: number } = {},
): { readonly state: ClientState; readonly messages: MaskedInputChunkMessage[] } {
  if (state.stage !== "awaiting-input") return stageError(state, "masked-input-chunk");
  const { round, siteId } = state;
  const d = round.config.vectorLength;
  if (input.length !== d)
    throw new ParameterError(`secagg: input has ${input.length} entries, the round expects ${d}`);
  const chunkLength = options.chunkLength ?? d;
  if (!Number.isSafeInteger(chunkLength) || chunkLength < 1)
    throw new ParameterError(`secagg: bad chunkLength ${chunkLength}`);
  const masked = Uint32Array.from(input);
  const masks: SignedMask[] = [{ seed: selfMaskSeed(round, state.selfMaskSecret), sign: 1 }];
  for (const [peer, maskingPublicKey] of state.maskingPeers) {
    const seed = pairwiseMaskSeed(round, state.maskingKeys, maskingPublicKey, siteId, peer);
    masks.push({ seed, sign: pairwiseSign(siteId, peer) });
  }
  applyMasks(masked, masks);
  for (const m of masks) m.seed.fill(0);
  const messages: MaskedInputChunkMessage[] = [];
  for (let offset = 0; offset < d; offset += chunkLength) {
    messages.push({
      kind: "masked-input-chunk",
      roundId: round.config.roundId,
      siteId,
      offset,
      values: masked.subarray(offset, Math.min(d, offset + chunkLength)),
    });
  }
  const { identitySeed, secrets, heldShares } = state;
  return {
    state: { stage: "awaiting-consistency", round, siteId, identitySeed, secrets, heldShares },
    messages,
  };
}

/**
 * Zeroes every secret of the round (key pairs, b_u, held shares; STYLE.md item 9), whatever
 * the stage. Call once, with the last state, when the round is over or abandoned: earlier
 * states share these buffers and are unusable afterwards.
 */
export function clientDispose(state: ClientState): void {
  for (const secret of state.secrets) secret.fill(0);
}

function stageError(state: ClientState, kind: ServerToClientMessage["kind"] | "masked-input-chunk"): never {
  const expected = STAGE_OF[state.stage];
  const received = messageStage(kind);
  // A message of an earlier stage, or of this stage once its message was consumed, is a replay.
  const consumed = state.stage === "awaiting-input" || state.stage === "done";
  const order = PROTOCOL_STAGES.indexOf(received) - PROTOCOL_STAGES.indexOf(expected);
  throw new ProtocolError(
    order < 0 || (order === 0 && consumed) ? "duplicate" : "wrong-stage",
    `site in stage ${state.stage} (${expected}) cannot handle ${kind} (${received})`,
    { expectedStage: expected, receivedStage: received },
  );
}

function checkAddressing(state: ClientState, roundId: number, recipient: SiteId): void {
  if (roundId !== state.round.config.roundId) {
    throw new ProtocolError(
      "wrong-round",
      `message for round ${roundId}, site is in round ${state.round.config.roundId}`,
    );
  }
  if (recipient !== state.siteId)
    throw new ProtocolError("unknown-site", "message is addressed to another site");
}

/** Runs a key agreement, turning a small-order peer key into a protocol refusal. */
function agree<T>(peer: SiteId, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CryptoError && e.code === "invalid-key") {
      throw new ProtocolError("malformed", "a neighbour advertised an invalid public key", { siteId: peer });
    }
    throw e;
  }
}

/**
 * Round 1 (Bonawitz et al. 2017, Fig. 4): verify neighbours' advertisements, Shamir-share s_u^SK and
 * b_u among the site and its neighbours only (Bell et al. 2020, §3), encrypt each pair to its holder.
 */
function onKeys(
  state: ClientState & { stage: "awaiting-keys" },
  message: KeysBroadcastMessage,
  rng: Rng,
): ClientTransition<ShareKeysMessage> {
  const { round, siteId } = state;
  const { config, graph } = round;
  const peers = new Map<SiteId, PeerKeys>();
  for (const ad of message.advertisements) {
    if (!graph.areNeighbours(siteId, ad.siteId)) {
      throw new ProtocolError("unknown-site", "advertisement from a site that is not a neighbour", {
        siteId: ad.siteId,
      });
    }
    if (peers.has(ad.siteId))
      throw new ProtocolError("malformed", "two advertisements from one site", { siteId: ad.siteId });
    if (ad.roundId !== config.roundId)
      throw new ProtocolError("wrong-round", "advertisement for another round", { siteId: ad.siteId });
    const payload = advertisementPayload(round, ad.siteId, ad.encryptionPublicKey, ad.maskingPublicKey);
    if (!verifySignature(payload, ad.signature, config.identityKeys.get(ad.siteId) as Uint8Array)) {
      throw new ProtocolError("bad-signature", "advertisement signature does not verify", {
        siteId: ad.siteId,
      });
    }
    peers.set(ad.siteId, {
      encryptionPublicKey: ad.encryptionPublicKey,
      maskingPublicKey: ad.maskingPublicKey,
    });
  }
  if (peers.size + 1 < config.threshold) {
    throw new ProtocolError(
      "too-few-sites",
      `${peers.size + 1} share holders left, threshold is ${config.threshold}`,
    );
  }
  const holders = [siteId, ...peers.keys()];
  const xs = holders.map((h) => shareIndex(round, h));
  const selfMaskSecret = randomFieldElement(rng);
  const keyShares = splitSecret(state.maskingKeys.secretKey, config.threshold, xs, rng);
  const seedShares = splitSecret(selfMaskSecret, config.threshold, xs, rng);
  const encryptedShares = holders.slice(1).map((peer, j) => {
    const keyShare = (keyShares[j + 1] as { y: Uint8Array }).y;
    const seedShare = (seedShares[j + 1] as { y: Uint8Array }).y;
    const plaintext = new Uint8Array(2 * SHARE_BYTES);
    plaintext.set(keyShare);
    plaintext.set(seedShare, SHARE_BYTES);
    // A neighbour's shares leave only sealed to it; no plaintext copy stays behind.
    keyShare.fill(0);
    seedShare.fill(0);
    const peerKeys = peers.get(peer) as PeerKeys;
    const key = agree(peer, () =>
      shareEncryptionKey(round, state.encryptionKeys, peerKeys.encryptionPublicKey, siteId, peer),
    );
    const ciphertext = sealBox(plaintext, key, rng);
    plaintext.fill(0);
    key.fill(0);
    return { recipient: peer, ciphertext };
  });
  const ownShares = {
    maskingKey: (keyShares[0] as { y: Uint8Array }).y,
    selfMask: (seedShares[0] as { y: Uint8Array }).y,
  };
  return {
    state: {
      stage: "awaiting-shares",
      round,
      siteId,
      identitySeed: state.identitySeed,
      secrets: [...state.secrets, selfMaskSecret, ownShares.maskingKey, ownShares.selfMask],
      encryptionKeys: state.encryptionKeys,
      maskingKeys: state.maskingKeys,
      selfMaskSecret,
      peers,
      ownShares,
    },
    message: { kind: "share-keys", roundId: config.roundId, siteId, encryptedShares },
  };
}

/** Round 2, first half (Bonawitz et al. 2017, Fig. 4): open the shares neighbours sent; those neighbours are exactly the ones to mask with. */
function onShares(
  state: ClientState & { stage: "awaiting-shares" },
  message: SharesDeliveryMessage,
): AwaitingInput {
  const { round, siteId } = state;
  const heldShares = new Map<SiteId, HeldShares>([[siteId, state.ownShares]]);
  const maskingPeers = new Map<SiteId, Uint8Array>();
  const secrets = [...state.secrets];
  try {
    for (const { sender, ciphertext } of message.shares) {
      const peer = state.peers.get(sender);
      if (peer === undefined)
        throw new ProtocolError("unknown-site", "shares from a site that did not advertise to us", {
          siteId: sender,
        });
      if (heldShares.has(sender))
        throw new ProtocolError("malformed", "two share sets from one site", { siteId: sender });
      const key = agree(sender, () =>
        shareEncryptionKey(round, state.encryptionKeys, peer.encryptionPublicKey, sender, siteId),
      );
      const plaintext = openBox(ciphertext, key);
      key.fill(0);
      if (plaintext === null)
        throw new ProtocolError("decryption-failed", "encrypted shares do not open", { siteId: sender });
      const shares = { maskingKey: plaintext.slice(0, SHARE_BYTES), selfMask: plaintext.slice(SHARE_BYTES) };
      plaintext.fill(0);
      secrets.push(shares.maskingKey, shares.selfMask);
      if (!isFieldElement(shares.maskingKey) || !isFieldElement(shares.selfMask)) {
        throw new ProtocolError("malformed", "decrypted share is not a field element", { siteId: sender });
      }
      heldShares.set(sender, shares);
      maskingPeers.set(sender, peer.maskingPublicKey);
    }
    if (heldShares.size < round.config.threshold) {
      throw new ProtocolError(
        "too-few-sites",
        `${heldShares.size} share holders left, threshold is ${round.config.threshold}`,
      );
    }
  } catch (e) {
    // A refused delivery keeps none of the shares opened before the refusal.
    for (const share of secrets.slice(state.secrets.length)) share.fill(0);
    throw e;
  }
  return {
    state: {
      stage: "awaiting-input",
      round,
      siteId,
      identitySeed: state.identitySeed,
      secrets,
      maskingKeys: state.maskingKeys,
      selfMaskSecret: state.selfMaskSecret,
      maskingPeers,
      heldShares,
    },
    message: null,
  };
}

/** Round 3 (Bonawitz et al. 2017, Fig. 4): sign the survivor list once; the same list must come back in round 4. */
function onConsistency(
  state: ClientState & { stage: "awaiting-consistency" },
  message: ConsistencyRequestMessage,
): ClientTransition<ConsistencySignatureMessage> {
  const { round, siteId, heldShares } = state;
  const { survivors } = message;
  for (const s of survivors) {
    if (round.graph.indexOf(s) === undefined)
      throw new ProtocolError("unknown-site", "survivor list names a site not on the roster");
    // A neighbour that survived must have shared with us, else we did not mask with it and the sum would be wrong.
    if (round.graph.areNeighbours(siteId, s) && !heldShares.has(s)) {
      throw new ProtocolError(
        "malformed",
        "survivor list names a neighbour that never shared with this site",
        { siteId: s },
      );
    }
  }
  if (!survivors.includes(siteId))
    throw new ProtocolError("malformed", "survivor list omits this site, whose input was sent");
  if (survivors.length < round.config.threshold) {
    throw new ProtocolError(
      "too-few-sites",
      `${survivors.length} survivors, threshold is ${round.config.threshold}`,
    );
  }
  const signature = signMessage(consistencyPayload(round, survivors), state.identitySeed);
  return {
    state: {
      stage: "awaiting-unmask",
      round,
      siteId,
      identitySeed: state.identitySeed,
      secrets: state.secrets,
      heldShares,
      survivors: [...survivors],
    },
    message: { kind: "consistency-signature", roundId: round.config.roundId, siteId, signature },
  };
}

/**
 * Round 4: with at least t valid neighbour signatures on the very survivor list this site
 * signed, reveal for each owner exactly one secret: the self-mask share of a survivor or the
 * masking-key share of a site that dropped after sharing (Bonawitz et al. 2017, Fig. 4, round 4).
 */
function onUnmask(
  state: ClientState & { stage: "awaiting-unmask" },
  message: UnmaskRequestMessage,
): ClientTransition<UnmaskResponseMessage> {
  const { round, siteId, survivors, heldShares } = state;
  const { config, graph } = round;
  if (message.survivors.length !== survivors.length || message.survivors.some((s, i) => s !== survivors[i])) {
    throw new ProtocolError("malformed", "survivor list differs from the one this site signed");
  }
  const payload = consistencyPayload(round, survivors);
  const survivorSet = new Set(survivors);
  const signers = new Set<SiteId>();
  for (const { siteId: signer, signature } of message.signatures) {
    if (signer !== siteId && !graph.areNeighbours(siteId, signer)) {
      throw new ProtocolError("unknown-site", "consistency signature from a site that is not a neighbour", {
        siteId: signer,
      });
    }
    if (signers.has(signer))
      throw new ProtocolError("malformed", "two consistency signatures from one site", { siteId: signer });
    if (!survivorSet.has(signer))
      throw new ProtocolError("unknown-site", "consistency signature from a non-survivor", {
        siteId: signer,
      });
    if (!verifySignature(payload, signature, config.identityKeys.get(signer) as Uint8Array)) {
      throw new ProtocolError("bad-signature", "consistency signature does not verify", { siteId: signer });
    }
    signers.add(signer);
  }
  if (signers.size < config.threshold) {
    throw new ProtocolError(
      "too-few-sites",
      `${signers.size} consistency signatures, threshold is ${config.threshold}`,
    );
  }
  const selfMaskShares: RevealedShare[] = [];
  const maskingKeyShares: RevealedShare[] = [];
  for (const [owner, shares] of heldShares) {
    if (survivorSet.has(owner)) selfMaskShares.push({ owner, share: shares.selfMask.slice() });
    else maskingKeyShares.push({ owner, share: shares.maskingKey.slice() });
  }
  return {
    state: { stage: "done", round, siteId, identitySeed: state.identitySeed, secrets: state.secrets },
    message: { kind: "unmask-response", roundId: config.roundId, siteId, selfMaskShares, maskingKeyShares },
  };
}
