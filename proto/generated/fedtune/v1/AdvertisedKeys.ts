// Original file: proto/fedtune.proto


/**
 * One participant's advertised keys, forwarded by the coordinator.
 */
export interface AdvertisedKeys {
  /**
   * The participant's site id.
   */
  'siteId'?: (string);
  /**
   * X25519 public key for encrypting shares to it (32 bytes).
   */
  'encryptionPublicKey'?: (Buffer | Uint8Array | string);
  /**
   * X25519 public key for pairwise mask agreement (32 bytes).
   */
  'maskingPublicKey'?: (Buffer | Uint8Array | string);
  /**
   * Ed25519 signature (64 bytes) by the participant's identity key over crypto/secagg/round.ts
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
 * One participant's advertised keys, forwarded by the coordinator.
 */
export interface AdvertisedKeys__Output {
  /**
   * The participant's site id.
   */
  'siteId': (string);
  /**
   * X25519 public key for encrypting shares to it (32 bytes).
   */
  'encryptionPublicKey': (Buffer);
  /**
   * X25519 public key for pairwise mask agreement (32 bytes).
   */
  'maskingPublicKey': (Buffer);
  /**
   * Ed25519 signature (64 bytes) by the participant's identity key over crypto/secagg/round.ts
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
