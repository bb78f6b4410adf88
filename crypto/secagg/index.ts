// Public surface of SecAgg+ for the transports and the simulation: messages, validators, site and server state machines.
export type * from "./messages.ts";
export {
  ENCRYPTED_SHARE_BYTES,
  PROTOCOL_STAGES,
  PUBLIC_KEY_BYTES,
  SHARE_BYTES,
  SIGNATURE_BYTES,
  messageStage,
  validateClientMessage,
  validateServerMessage,
} from "./messages.ts";
export type { SecAggConfig, SecAggRound } from "./round.ts";
export { SESSION_ID_BYTES, prepareRound } from "./round.ts";
export type { NeighbourGraph } from "./graph.ts";
export { buildNeighbourGraph } from "./graph.ts";
export type {
  AwaitingInput,
  ClientStart,
  ClientState,
  ClientStage,
  ClientTransition,
  CreateClientParams,
} from "./client.ts";
export { clientDispose, clientMaskInput, clientReceive, createClient } from "./client.ts";
export type { ServerStage, ServerState, ServerTransition } from "./server.ts";
export { createServer, serverCloseStage, serverPending, serverReceive } from "./server.ts";
export type { InProcessRoundOptions, StagePause } from "./in-process.ts";
export { playInProcessRound, runInProcessRound, simulatedIdentities } from "./in-process.ts";
