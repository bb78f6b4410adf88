// Original file: proto/fedtune.proto


/**
 * A share revealed in the unmasking stage.
 */
export interface RevealedShare {
  /**
   * Site id of the participant whose secret this is a share of.
   */
  'owner'?: (string);
  /**
   * The Shamir share (32 bytes).
   */
  'share'?: (Buffer | Uint8Array | string);
}

/**
 * A share revealed in the unmasking stage.
 */
export interface RevealedShare__Output {
  /**
   * Site id of the participant whose secret this is a share of.
   */
  'owner': (string);
  /**
   * The Shamir share (32 bytes).
   */
  'share': (Buffer);
}
