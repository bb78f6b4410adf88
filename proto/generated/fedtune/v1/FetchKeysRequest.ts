// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';

/**
 * Ask for he key material.
 */
export interface FetchKeysRequest {
  /**
   * The ceremony.
   */
  'keyId'?: (string);
  /**
   * "key-material" (transcript, collective key, Shamir shares sealed to the caller), "decryption-input"
   * (c1s of the aggregate and accepted uploads of the decryption of `ref`) or "round-shares" (reveal "sites":
   * per key holder, its sealed decryption share of round ref.round and that share's key sealed to the caller).
   */
  'kind'?: (string);
  /**
   * The round try (decryption-input, round-shares).
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
}

/**
 * Ask for he key material.
 */
export interface FetchKeysRequest__Output {
  /**
   * The ceremony.
   */
  'keyId': (string);
  /**
   * "key-material" (transcript, collective key, Shamir shares sealed to the caller), "decryption-input"
   * (c1s of the aggregate and accepted uploads of the decryption of `ref`) or "round-shares" (reveal "sites":
   * per key holder, its sealed decryption share of round ref.round and that share's key sealed to the caller).
   */
  'kind': (string);
  /**
   * The round try (decryption-input, round-shares).
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
}
