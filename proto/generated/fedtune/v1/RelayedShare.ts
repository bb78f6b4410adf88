// Original file: proto/fedtune.proto


/**
 * An encrypted share pair as relayed to its recipient (coordinator → site).
 */
export interface RelayedShare {
  /**
   * Sender's site id.
   */
  'sender'?: (string);
  /**
   * nonce ‖ secretbox(shares) (104 bytes).
   */
  'ciphertext'?: (Buffer | Uint8Array | string);
}

/**
 * An encrypted share pair as relayed to its recipient (coordinator → site).
 */
export interface RelayedShare__Output {
  /**
   * Sender's site id.
   */
  'sender': (string);
  /**
   * nonce ‖ secretbox(shares) (104 bytes).
   */
  'ciphertext': (Buffer);
}
