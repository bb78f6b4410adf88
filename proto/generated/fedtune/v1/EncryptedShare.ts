// Original file: proto/fedtune.proto


/**
 * An encrypted share pair addressed to a neighbour (site → coordinator).
 */
export interface EncryptedShare {
  /**
   * Recipient's site id.
   */
  'recipient'?: (string);
  /**
   * nonce ‖ secretbox(shares) (104 bytes), opaque to the coordinator.
   */
  'ciphertext'?: (Buffer | Uint8Array | string);
}

/**
 * An encrypted share pair addressed to a neighbour (site → coordinator).
 */
export interface EncryptedShare__Output {
  /**
   * Recipient's site id.
   */
  'recipient': (string);
  /**
   * nonce ‖ secretbox(shares) (104 bytes), opaque to the coordinator.
   */
  'ciphertext': (Buffer);
}
