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
  /**
   * The participant's X25519 envelope key (32 bytes): covered by the same certificate signature.
   */
  'envelopePublicKey'?: (Buffer | Uint8Array | string);
  /**
   * The participant's certificate (DER) and its signature over both keys, exactly as sent at Join:
   * each site verifies them against its own CA certificate before using the identity key. Set only in
   * the recipient's own entry and its SecAgg+ neighbours' (the keys it uses), empty elsewhere: a whole
   * roster of certificates in every task would cost n² certificates a round.
   */
  'certificate'?: (Buffer | Uint8Array | string);
  'certificateKeySignature'?: (Buffer | Uint8Array | string);
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
  /**
   * The participant's X25519 envelope key (32 bytes): covered by the same certificate signature.
   */
  'envelopePublicKey': (Buffer);
  /**
   * The participant's certificate (DER) and its signature over both keys, exactly as sent at Join:
   * each site verifies them against its own CA certificate before using the identity key. Set only in
   * the recipient's own entry and its SecAgg+ neighbours' (the keys it uses), empty elsewhere: a whole
   * roster of certificates in every task would cost n² certificates a round.
   */
  'certificate': (Buffer);
  'certificateKeySignature': (Buffer);
}
