// Original file: proto/fedtune.proto


/**
 * One SecAgg+ participant as other participants see it.
 */
export interface RosterEntry {
  /**
   * The participant's site id (its certificate name).
   */
  'siteId'?: (string);
  /**
   * The participant's Ed25519 identity key (32 bytes), bound to its certificate at Join.
   */
  'identityKey'?: (Buffer | Uint8Array | string);
}

/**
 * One SecAgg+ participant as other participants see it.
 */
export interface RosterEntry__Output {
  /**
   * The participant's site id (its certificate name).
   */
  'siteId': (string);
  /**
   * The participant's Ed25519 identity key (32 bytes), bound to its certificate at Join.
   */
  'identityKey': (Buffer);
}
