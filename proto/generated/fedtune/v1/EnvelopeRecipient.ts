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
  /**
   * Its Ed25519 identity key, certificate (DER) and the certificate's signature over both keys, as sent
   * at Join: the sealer verifies them against the CA before it seals anything to the envelope key.
   */
  'identityKey'?: (Buffer | Uint8Array | string);
  'certificate'?: (Buffer | Uint8Array | string);
  'certificateKeySignature'?: (Buffer | Uint8Array | string);
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
  /**
   * Its Ed25519 identity key, certificate (DER) and the certificate's signature over both keys, as sent
   * at Join: the sealer verifies them against the CA before it seals anything to the envelope key.
   */
  'identityKey': (Buffer);
  'certificate': (Buffer);
  'certificateKeySignature': (Buffer);
}
