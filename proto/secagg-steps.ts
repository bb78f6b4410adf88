// The one table between SecAgg+ messages (crypto/secagg) and the wire: Poll steps one way, stage RPCs the other.
import type { ClientToServerMessage, ServerToClientMessage, SiteId } from "../crypto/secagg/messages.ts";
import { verifyRelayedSiteKeys, type TrustAnchor } from "../crypto/pki/key-binding.ts";
import { buildNeighbourGraph, type NeighbourGraph } from "../crypto/secagg/graph.ts";
import type { SecAggConfig } from "../crypto/secagg/round.ts";
import type {
  AdvertiseKeysRequest,
  PollResponse,
  RosterEntry,
  RoundRef,
  SecAggSettings,
  ShareKeysRequest,
  SignSurvivorsRequest,
  UnmaskRequest,
} from "./messages.ts";

/**
 * The SecAgg+ stages of a training try, one spelling each (Bonawitz et al. 2017, Fig. 4, rounds 0–4): the
 * coordinator's round machine, the sites' progress events and this table all use these names.
 */
export const SECAGG_STAGES = [
  "advertise_keys",
  "share_keys",
  "masked_input",
  "consistency",
  "unmask",
] as const;
export type SecAggStage = (typeof SECAGG_STAGES)[number];

/** The Poll steps that carry a SecAgg+ server message to one site. */
export type SecAggPollStep = Extract<
  PollResponse,
  { step: "shareKeys" | "maskedInput" | "consistency" | "unmask" }
>;
export type SecAggStepName = SecAggPollStep["step"];

/** The stage a site enters when it is handed each SecAgg Poll step. */
export const STAGE_OF_STEP: Readonly<Record<SecAggStepName, SecAggStage>> = {
  shareKeys: "share_keys",
  maskedInput: "masked_input",
  consistency: "consistency",
  unmask: "unmask",
};

/** A SecAgg+ site message on its way to a stage RPC (masked input travels as an update upload instead). */
export type SecAggStageCall =
  | {
      readonly rpc: "advertiseKeys";
      readonly stage: "advertise_keys";
      readonly request: AdvertiseKeysRequest;
    }
  | { readonly rpc: "shareKeys"; readonly stage: "share_keys"; readonly request: ShareKeysRequest }
  | { readonly rpc: "signSurvivors"; readonly stage: "consistency"; readonly request: SignSurvivorsRequest }
  | { readonly rpc: "unmask"; readonly stage: "unmask"; readonly request: UnmaskRequest };

/** Coordinator → site: the Poll step that carries a SecAgg+ server message. */
export function pollStepOf(
  message: ServerToClientMessage,
  ref: RoundRef,
  deadlineMs: number,
): SecAggPollStep {
  switch (message.kind) {
    case "keys-broadcast":
      return {
        step: "shareKeys",
        shareKeys: {
          ref,
          advertisements: message.advertisements.map((a) => ({
            siteId: a.siteId,
            encryptionPublicKey: a.encryptionPublicKey,
            maskingPublicKey: a.maskingPublicKey,
            selfMaskCommitment: a.selfMaskCommitment,
            signature: a.signature,
          })),
          deadlineMs,
        },
      };
    case "shares-delivery":
      return { step: "maskedInput", maskedInput: { ref, shares: [...message.shares], deadlineMs } };
    case "consistency-request":
      return { step: "consistency", consistency: { ref, survivors: [...message.survivors], deadlineMs } };
    case "unmask-request":
      return {
        step: "unmask",
        unmask: { ref, survivors: [...message.survivors], signatures: [...message.signatures], deadlineMs },
      };
  }
}

/** Site side of the same mapping: the SecAgg+ server message a Poll step carries to `recipient`. */
export function serverMessageOf(
  step: SecAggPollStep,
  roundId: number,
  recipient: SiteId,
): ServerToClientMessage {
  switch (step.step) {
    case "shareKeys":
      return {
        kind: "keys-broadcast",
        roundId,
        recipient,
        advertisements: step.shareKeys.advertisements.map((a) => ({ kind: "advertise-keys", roundId, ...a })),
      };
    case "maskedInput":
      return { kind: "shares-delivery", roundId, recipient, shares: step.maskedInput.shares };
    case "consistency":
      return { kind: "consistency-request", roundId, recipient, survivors: step.consistency.survivors };
    case "unmask":
      return {
        kind: "unmask-request",
        roundId,
        recipient,
        survivors: step.unmask.survivors,
        signatures: step.unmask.signatures,
      };
  }
}

/** Site → coordinator: the stage RPC that carries a SecAgg+ site message (undefined for masked input). */
export function stageCallOf(message: ClientToServerMessage, ref: RoundRef): SecAggStageCall | undefined {
  switch (message.kind) {
    case "advertise-keys":
      return {
        rpc: "advertiseKeys",
        stage: "advertise_keys",
        request: {
          ref,
          encryptionPublicKey: message.encryptionPublicKey,
          maskingPublicKey: message.maskingPublicKey,
          selfMaskCommitment: message.selfMaskCommitment,
          signature: message.signature,
        },
      };
    case "share-keys":
      return {
        rpc: "shareKeys",
        stage: "share_keys",
        request: { ref, shares: [...message.encryptedShares] },
      };
    case "consistency-signature":
      return { rpc: "signSurvivors", stage: "consistency", request: { ref, signature: message.signature } };
    case "unmask-response":
      return {
        rpc: "unmask",
        stage: "unmask",
        request: {
          ref,
          selfMaskShares: [...message.selfMaskShares],
          maskingKeyShares: [...message.maskingKeyShares],
        },
      };
    case "masked-input-chunk":
      return undefined;
  }
}

/** Coordinator side of the same mapping: the SecAgg+ site message a stage RPC carries from `siteId`. */
export function clientMessageOf(
  call: SecAggStageCall,
  roundId: number,
  siteId: SiteId,
): ClientToServerMessage {
  switch (call.rpc) {
    case "advertiseKeys":
      return {
        kind: "advertise-keys",
        roundId,
        siteId,
        encryptionPublicKey: call.request.encryptionPublicKey,
        maskingPublicKey: call.request.maskingPublicKey,
        selfMaskCommitment: call.request.selfMaskCommitment,
        signature: call.request.signature,
      };
    case "shareKeys":
      return { kind: "share-keys", roundId, siteId, encryptedShares: call.request.shares };
    case "signSurvivors":
      return { kind: "consistency-signature", roundId, siteId, signature: call.request.signature };
    case "unmask":
      return {
        kind: "unmask-response",
        roundId,
        siteId,
        selfMaskShares: call.request.selfMaskShares,
        maskingKeyShares: call.request.maskingKeyShares,
      };
  }
}

/**
 * The round's SecAgg+ parameters as both sides configure the state machine from the task's settings.
 * The codec range and headroom are part of the config, so they go into the round-config hash that
 * every advertisement and consistency signature covers.
 */
export function secAggConfigOf(settings: SecAggSettings): SecAggConfig {
  return {
    codec: { clipRange: settings.clipRange, maxSummands: settings.maxSummands },
    roundId: settings.roundId,
    sessionId: settings.sessionId,
    roster: settings.roster.map((entry) => entry.siteId),
    threshold: settings.threshold,
    degree: settings.degree,
    vectorLength: settings.vectorLength,
    identityKeys: new Map(settings.roster.map((entry) => [entry.siteId, entry.identityKey])),
  };
}

/** The roster entries site `siteId` uses: its own and its SecAgg+ neighbours' (SecAgg+ talks to neighbours only). */
function usedBy(graph: NeighbourGraph, siteId: SiteId): ReadonlySet<SiteId> {
  return new Set([siteId, ...graph.neighbours(siteId)]);
}

const NO_BYTES = new Uint8Array(0);

/**
 * Coordinator side: the roster with certificates and key signatures stripped, built once per try; each
 * site's task then takes its own and its neighbours' entries whole ({@link secAggSettingsFor}).
 */
export function uncertifiedRoster(settings: SecAggSettings): readonly RosterEntry[] {
  return settings.roster.map((entry) => ({
    ...entry,
    certificate: NO_BYTES,
    certificateKeySignature: NO_BYTES,
  }));
}

/**
 * The settings as site `siteId` is handed them: every entry's id and keys (the round-config hash covers
 * the whole roster's identity keys, so it stays identical at every site), certificates only where
 * {@link certifiedSecAggConfigOf} checks them. A whole roster of certificates in every task made a round
 * cost n² certificates on the wire, sent again on every poll until answered (about 0.65 MB a task
 * at 1,000 sites). `bare` is {@link uncertifiedRoster} of `settings`, so the n entries a task lists are shared.
 */
export function secAggSettingsFor(
  settings: SecAggSettings,
  bare: readonly RosterEntry[],
  graph: NeighbourGraph,
  siteId: SiteId,
): SecAggSettings {
  const used = usedBy(graph, siteId);
  return {
    ...settings,
    roster: settings.roster.map((entry, i) => (used.has(entry.siteId) ? entry : (bare[i] as RosterEntry))),
  };
}

/**
 * Site `siteId`'s view of the round: {@link secAggConfigOf} once the identity and envelope keys
 * relayed for it and for its neighbours verify against the consortium CA
 * (crypto/pki/key-binding.ts), so that no key the coordinator chose itself is ever used (issue 18
 * §1). A site uses no other peer's key and every peer's neighbours check that peer's, so checking the
 * whole roster at every site would only make a round cost O(n²) certificate checks; the coordinator
 * relays certificates for these entries only ({@link secAggSettingsFor}), and an entry relayed without
 * one fails here. Throws PkiError naming the first entry that fails.
 */
export function certifiedSecAggConfigOf(
  settings: SecAggSettings,
  trust: TrustAnchor,
  siteId: SiteId,
): SecAggConfig {
  const config = secAggConfigOf(settings);
  const used = usedBy(buildNeighbourGraph(config.roster, config.degree, config.sessionId), siteId);
  verifyRelayedSiteKeys(
    settings.roster.filter((entry) => used.has(entry.siteId)),
    trust,
  );
  return config;
}
