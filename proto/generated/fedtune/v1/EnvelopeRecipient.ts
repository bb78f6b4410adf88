// Original file: proto/fedtune.proto


/**
 * A site that receives a sealed blob (he mode: decryption shares).
 */
export interface EnvelopeRecipient {
  /**
   * The recipient's site id.
   */
  'siteId'?: (string);
  /**
   * The recipient's X25519 envelope public key (32 bytes).
   */
  'envelopePublicKey'?: (Buffer | Uint8Array | string);
}

/**
 * A site that receives a sealed blob (he mode: decryption shares).
 */
export interface EnvelopeRecipient__Output {
  /**
   * The recipient's site id.
   */
  'siteId': (string);
  /**
   * The recipient's X25519 envelope public key (32 bytes).
   */
  'envelopePublicKey': (Buffer);
}
