// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';

/**
 * SecAgg+ stage 0 output.
 */
export interface AdvertiseKeysRequest {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * X25519 public key for encrypting shares (32 bytes).
   */
  'encryptionPublicKey'?: (Buffer | Uint8Array | string);
  /**
   * X25519 public key for pairwise masks (32 bytes).
   */
  'maskingPublicKey'?: (Buffer | Uint8Array | string);
  /**
   * Ed25519 signature (64 bytes) by the site's identity key over crypto/secagg/round.ts
   * advertisementPayload: session id, protocol round id, the SHA-256 of the round config (threshold,
   * degree, vector length, roster with identity keys, codec range), site id and both keys.
   */
  'signature'?: (Buffer | Uint8Array | string);
}

/**
 * SecAgg+ stage 0 output.
 */
export interface AdvertiseKeysRequest__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * X25519 public key for encrypting shares (32 bytes).
   */
  'encryptionPublicKey': (Buffer);
  /**
   * X25519 public key for pairwise masks (32 bytes).
   */
  'maskingPublicKey': (Buffer);
  /**
   * Ed25519 signature (64 bytes) by the site's identity key over crypto/secagg/round.ts
   * advertisementPayload: session id, protocol round id, the SHA-256 of the round config (threshold,
   * degree, vector length, roster with identity keys, codec range), site id and both keys.
   */
  'signature': (Buffer);
}
