// Original file: proto/fedtune.proto


/**
 * A key holder of the threshold ceremony.
 */
export interface KeyHolder {
  /**
   * The holder's site id.
   */
  'siteId'?: (string);
  /**
   * Its Ed25519 identity key (32 bytes): signs its public-key share.
   */
  'identityKey'?: (Buffer | Uint8Array | string);
  /**
   * Its X25519 envelope key (32 bytes): Shamir shares and decryption shares are sealed to it.
   */
  'envelopePublicKey'?: (Buffer | Uint8Array | string);
  /**
   * Its certificate (DER) and that certificate's signature over both keys, exactly as sent at Join:
   * each holder verifies them against the CA before it uses either key (as for RosterEntry).
   */
  'certificate'?: (Buffer | Uint8Array | string);
  'certificateKeySignature'?: (Buffer | Uint8Array | string);
}

/**
 * A key holder of the threshold ceremony.
 */
export interface KeyHolder__Output {
  /**
   * The holder's site id.
   */
  'siteId': (string);
  /**
   * Its Ed25519 identity key (32 bytes): signs its public-key share.
   */
  'identityKey': (Buffer);
  /**
   * Its X25519 envelope key (32 bytes): Shamir shares and decryption shares are sealed to it.
   */
  'envelopePublicKey': (Buffer);
  /**
   * Its certificate (DER) and that certificate's signature over both keys, exactly as sent at Join:
   * each holder verifies them against the CA before it uses either key (as for RosterEntry).
   */
  'certificate': (Buffer);
  'certificateKeySignature': (Buffer);
}
