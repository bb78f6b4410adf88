// SecAgg+ site state machine: start, dispatch of each server message to its step (client-stages.ts), masking, disposal.
import { ParameterError, ProtocolError } from "../errors.ts";
import { equalBytes, generateX25519KeyPair, signMessage, signingPublicKey } from "../keys.ts";
import { applyMasks } from "../prg.ts";
import type { SignedMask } from "../prg.ts";
import type { Rng } from "../rng.ts";
import { randomFieldElement } from "../shamir.ts";
import { PROTOCOL_STAGES, messageStage, validateServerMessage } from "./messages.ts";
import type {
  ConsistencySignatureMessage,
  MaskedInputChunkMessage,
  ProtocolStage,
  ServerToClientMessage,
  ShareKeysMessage,
  SiteId,
  UnmaskResponseMessage,
} from "./messages.ts";
import {
  advertisementPayload,
  pairwiseMaskSeed,
  pairwiseSign,
  selfMaskCommitment,
  selfMaskSeed,
} from "./round.ts";
import type { SecAggRound } from "./round.ts";
import type {
  ClientStage,
  ClientStart,
  ClientState,
  ClientTransition,
  AwaitingInput,
} from "./client-state.ts";
import { onConsistency, onKeys, onShares, onUnmask } from "./client-stages.ts";

export type {
  AwaitingInput,
  ClientStage,
  ClientStart,
  ClientState,
  ClientTransition,
  HeldShares,
  PeerKeys,
} from "./client-state.ts";

/** The protocol stage whose server message each site stage waits for. */
const STAGE_OF: Record<ClientStage, ProtocolStage> = {
  "awaiting-keys": "share-keys",
  "awaiting-shares": "masked-input",
  "awaiting-input": "masked-input",
  "awaiting-consistency": "consistency-check",
  "awaiting-unmask": "unmask",
  done: "unmask",
};

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
  // b_u is drawn now, not at round 1, so that its commitment travels in the signed advertisement.
  const selfMaskSecret = randomFieldElement(rng);
  const keys = {
    encryptionPublicKey: encryptionKeys.publicKey,
    maskingPublicKey: maskingKeys.publicKey,
    selfMaskCommitment: selfMaskCommitment(round, siteId, selfMaskSecret),
  };
  const secrets = [encryptionKeys.secretKey, maskingKeys.secretKey, selfMaskSecret];
  return {
    state: {
      stage: "awaiting-keys",
      round,
      siteId,
      identitySeed,
      secrets,
      encryptionKeys,
      maskingKeys,
      selfMaskSecret,
    },
    message: {
      kind: "advertise-keys",
      roundId: config.roundId,
      siteId,
      ...keys,
      signature: signMessage(advertisementPayload(round, siteId, keys), identitySeed),
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
