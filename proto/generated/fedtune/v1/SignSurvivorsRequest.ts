// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';

/**
 * SecAgg+ stage 3 output.
 */
export interface SignSurvivorsRequest {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * Ed25519 signature (64 bytes) over crypto/secagg/round.ts consistencyPayload: session id,
   * protocol round id, the SHA-256 of the round config and the survivor list.
   */
  'signature'?: (Buffer | Uint8Array | string);
}

/**
 * SecAgg+ stage 3 output.
 */
export interface SignSurvivorsRequest__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * Ed25519 signature (64 bytes) over crypto/secagg/round.ts consistencyPayload: session id,
   * protocol round id, the SHA-256 of the round config and the survivor list.
   */
  'signature': (Buffer);
}
