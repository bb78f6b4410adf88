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
   * degree, vector length, roster with identity keys, codec range), site id, both keys and the
   * self-mask commitment.
   */
  'signature'?: (Buffer | Uint8Array | string);
  /**
   * SHA-256 commitment to the self-mask seed b_u (32 bytes; crypto/secagg/round.ts selfMaskCommitment),
   * covered by the signature: the seed rebuilt from revealed shares must match it.
   */
  'selfMaskCommitment'?: (Buffer | Uint8Array | string);
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
   * degree, vector length, roster with identity keys, codec range), site id, both keys and the
   * self-mask commitment.
   */
  'signature': (Buffer);
  /**
   * SHA-256 commitment to the self-mask seed b_u (32 bytes; crypto/secagg/round.ts selfMaskCommitment),
   * covered by the signature: the seed rebuilt from revealed shares must match it.
   */
  'selfMaskCommitment': (Buffer);
}
