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
   * Ed25519 signature (RFC 8032, 64 bytes) by identity_key over the concatenation, without separators
   * or length prefixes, of (111 bytes in all):
   * 1. the 15 ASCII bytes "fedtune-join-v1";
   * 2. the 32-byte SHA-256 of the DER encoding of the TLS client certificate this call is made with;
   * 3. identity_key (32 bytes, as sent in field 2);
   * 4. envelope_public_key (32 bytes, as sent in field 4).
   * The coordinator verifies it against the certificate the TLS handshake presented; a mismatch is
   * INVALID_ARGUMENT.
   */
  'keyBindingSignature'?: (Buffer | Uint8Array | string);
  /**
   * X25519 public key (32 bytes) to which he mode key envelopes for this site are sealed.
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
   * Ed25519 signature (RFC 8032, 64 bytes) by identity_key over the concatenation, without separators
   * or length prefixes, of (111 bytes in all):
   * 1. the 15 ASCII bytes "fedtune-join-v1";
   * 2. the 32-byte SHA-256 of the DER encoding of the TLS client certificate this call is made with;
   * 3. identity_key (32 bytes, as sent in field 2);
   * 4. envelope_public_key (32 bytes, as sent in field 4).
   * The coordinator verifies it against the certificate the TLS handshake presented; a mismatch is
   * INVALID_ARGUMENT.
   */
  'keyBindingSignature': (Buffer);
  /**
   * X25519 public key (32 bytes) to which he mode key envelopes for this site are sealed.
   */
  'envelopePublicKey': (Buffer);
  /**
   * Free-form client version string for the audit log.
   */
  'clientVersion': (string);
}
