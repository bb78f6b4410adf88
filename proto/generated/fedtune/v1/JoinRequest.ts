// Original file: proto/fedtune.proto


/**
 * Join a federation.
 */
export interface JoinRequest {
  /**
   * Hex SHA-256 of the site's local base model weights; must equal the federation's.
   */
  'baseModelHash'?: (string);
  /**
   * The site's Ed25519 SecAgg identity key (32 bytes), bound to its certificate on first join.
   */
  'identityKey'?: (Buffer | Uint8Array | string);
  /**
   * Ed25519 signature (64 bytes) by that key over "fedtune-join-v1" || certificate SHA-256 || key.
   */
  'keyBindingSignature'?: (Buffer | Uint8Array | string);
  /**
   * X25519 public key (32 bytes) to which he mode Shamir and decryption shares for this site are sealed.
   */
  'envelopePublicKey'?: (Buffer | Uint8Array | string);
  /**
   * Free-form client version string for the audit log.
   */
  'clientVersion'?: (string);
}

/**
 * Join a federation.
 */
export interface JoinRequest__Output {
  /**
   * Hex SHA-256 of the site's local base model weights; must equal the federation's.
   */
  'baseModelHash': (string);
  /**
   * The site's Ed25519 SecAgg identity key (32 bytes), bound to its certificate on first join.
   */
  'identityKey': (Buffer);
  /**
   * Ed25519 signature (64 bytes) by that key over "fedtune-join-v1" || certificate SHA-256 || key.
   */
  'keyBindingSignature': (Buffer);
  /**
   * X25519 public key (32 bytes) to which he mode Shamir and decryption shares for this site are sealed.
   */
  'envelopePublicKey': (Buffer);
  /**
   * Free-form client version string for the audit log.
   */
  'clientVersion': (string);
}
