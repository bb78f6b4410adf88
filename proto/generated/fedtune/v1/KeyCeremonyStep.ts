// Original file: proto/fedtune.proto

import type { KeyHolder as _fedtune_v1_KeyHolder, KeyHolder__Output as _fedtune_v1_KeyHolder__Output } from '../../fedtune/v1/KeyHolder.ts';

/**
 * he mode threshold key ceremony (docs/he-threshold.md, Protocol): stage "nonce", each holder publishes a
 * 32-byte nonce; stage "share", given every nonce, it publishes its signed public-key share and one
 * Shamir share of its secret per holder, sealed to that holder. The coordinator relays what it cannot open.
 */
export interface KeyCeremonyStep {
  /**
   * Identifies the ceremony; bound into the common seed, every signature and every sealed share.
   */
  'keyId'?: (string);
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs'?: (number);
  /**
   * "nonce" or "share".
   */
  'stage'?: (string);
  /**
   * Decryption threshold t.
   */
  'threshold'?: (number);
  /**
   * The key holders in ceremony order (holder index = position + 1).
   */
  'holders'?: (_fedtune_v1_KeyHolder)[];
  /**
   * Stage "share": every holder's nonce, in ceremony order.
   */
  'nonces'?: (Buffer | Uint8Array | string)[];
}

/**
 * he mode threshold key ceremony (docs/he-threshold.md, Protocol): stage "nonce", each holder publishes a
 * 32-byte nonce; stage "share", given every nonce, it publishes its signed public-key share and one
 * Shamir share of its secret per holder, sealed to that holder. The coordinator relays what it cannot open.
 */
export interface KeyCeremonyStep__Output {
  /**
   * Identifies the ceremony; bound into the common seed, every signature and every sealed share.
   */
  'keyId': (string);
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs': (number);
  /**
   * "nonce" or "share".
   */
  'stage': (string);
  /**
   * Decryption threshold t.
   */
  'threshold': (number);
  /**
   * The key holders in ceremony order (holder index = position + 1).
   */
  'holders': (_fedtune_v1_KeyHolder__Output)[];
  /**
   * Stage "share": every holder's nonce, in ceremony order.
   */
  'nonces': (Buffer)[];
}
