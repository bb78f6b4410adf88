// SecAgg+ server state machine: checks each site message and hands it to its stage (server-stages.ts); closes stages.
import { ProtocolError } from "../errors.ts";
import { PROTOCOL_STAGES, messageStage, validateClientMessage } from "./messages.ts";
import type { ClientToServerMessage, ProtocolStage, SiteId } from "./messages.ts";
import type { SecAggRound } from "./round.ts";
import type { ServerStage, ServerState, ServerTransition } from "./server-state.ts";
import {
  closeConsistency,
  closeKeys,
  closeMaskedInput,
  closeShares,
  closeUnmask,
  onAdvertise,
  onChunk,
  onShareKeys,
  onSignature,
  onUnmaskResponse,
} from "./server-stages.ts";

export type { ServerStage, ServerState, ServerTransition } from "./server-state.ts";

/** The protocol stage whose site message each server stage collects (none once done). */
const STAGE_OF: Record<ServerStage, ProtocolStage | null> = {
  "collecting-keys": "advertise-keys",
  "collecting-shares": "share-keys",
  "collecting-masked-input": "masked-input",
  "collecting-consistency": "consistency-check",
  "collecting-unmask": "unmask",
  done: null,
};

/** A server for one round; `round` comes from {@link prepareRound}. */
export function createServer(round: SecAggRound): ServerState {
  return { stage: "collecting-keys", round, advertisements: new Map() };
}

/** Sites from which the current stage still awaits a (complete) message; the driver may close early when empty. */
export function serverPending(state: ServerState): SiteId[] {
  const missing = (expected: Iterable<SiteId>, has: (s: SiteId) => boolean) =>
    [...expected].filter((s) => !has(s)).sort();
  const d = state.round.config.vectorLength;
  switch (state.stage) {
    case "collecting-keys":
      return missing(state.round.graph.sites, (s) => state.advertisements.has(s));
    case "collecting-shares":
      return missing(state.advertisements.keys(), (s) => state.shares.has(s));
    case "collecting-masked-input":
      return missing(state.sharers, (s) => state.received.get(s) === d);
    case "collecting-consistency":
      return missing(state.survivors, (s) => state.signatures.has(s));
    case "collecting-unmask":
      return missing(state.signers, (s) => state.responses.has(s));
    case "done":
      return [];
  }
}

/** Accepts one site message. Throws ProtocolError, with `state` unchanged, for anything out of stage, replayed or malformed. */
export function serverReceive(state: ServerState, message: ClientToServerMessage): ServerState {
  validateClientMessage(message);
  const { config, graph } = state.round;
  if (message.roundId !== config.roundId) {
    throw new ProtocolError(
      "wrong-round",
      `message for round ${message.roundId}, server is in round ${config.roundId}`,
    );
  }
  if (graph.indexOf(message.siteId) === undefined) {
    throw new ProtocolError("unknown-site", "sender is not on the roster", { siteId: message.siteId });
  }
  switch (state.stage) {
    case "collecting-keys":
      return message.kind === "advertise-keys" ? onAdvertise(state, message) : stageError(state, message);
    case "collecting-shares":
      return message.kind === "share-keys" ? onShareKeys(state, message) : stageError(state, message);
    case "collecting-masked-input":
      return message.kind === "masked-input-chunk" ? onChunk(state, message) : stageError(state, message);
    case "collecting-consistency":
      return message.kind === "consistency-signature"
        ? onSignature(state, message)
        : stageError(state, message);
    case "collecting-unmask":
      return message.kind === "unmask-response"
        ? onUnmaskResponse(state, message)
        : stageError(state, message);
    case "done":
      return stageError(state, message);
  }
}

/**
 * Closes the current stage (all expected messages arrived, or the deadline passed) and returns
 * the next stage's messages. Fewer than `threshold` sites left is a ProtocolError("too-few-sites")
 * and the round must be abandoned: it never yields a wrong sum.
 */
export function serverCloseStage(state: ServerState): ServerTransition {
  switch (state.stage) {
    case "collecting-keys":
      return closeKeys(state);
    case "collecting-shares":
      return closeShares(state);
    case "collecting-masked-input":
      return closeMaskedInput(state);
    case "collecting-consistency":
      return closeConsistency(state);
    case "collecting-unmask":
      return closeUnmask(state);
    case "done":
      throw new ProtocolError("wrong-stage", "the round is already unmasked", { receivedStage: "unmask" });
  }
}

/** Whether `site` already delivered its message of an earlier `stage` (so a second one is a replay). */
function alreadySent(state: ServerState, stage: ProtocolStage, site: SiteId): boolean {
  switch (stage) {
    case "advertise-keys":
      return state.stage !== "done" && state.advertisements.has(site);
    case "share-keys":
      return "sharers" in state
        ? state.sharers.has(site)
        : state.stage === "collecting-shares" && state.shares.has(site);
    case "masked-input":
      return "survivors" in state && state.survivors.includes(site);
    case "consistency-check":
      return "signers" in state && state.signers.has(site);
    case "unmask":
      return state.stage === "done";
  }
}

function stageError(state: ServerState, message: ClientToServerMessage): never {
  const expected = STAGE_OF[state.stage];
  const received = messageStage(message.kind);
  const earlier = expected === null || PROTOCOL_STAGES.indexOf(received) < PROTOCOL_STAGES.indexOf(expected);
  const replay = earlier && alreadySent(state, received, message.siteId);
  const details =
    expected === null
      ? { receivedStage: received, siteId: message.siteId }
      : { expectedStage: expected, receivedStage: received, siteId: message.siteId };
  throw new ProtocolError(
    replay ? "duplicate" : "wrong-stage",
    `server in stage ${state.stage} cannot accept ${message.kind} (${received})`,
    details,
  );
}
