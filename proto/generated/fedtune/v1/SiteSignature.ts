// Original file: proto/fedtune.proto


/**
 * A consistency signature relayed to neighbours.
 */
export interface SiteSignature {
  /**
   * The signer's site id.
   */
  'siteId'?: (string);
  /**
   * Ed25519 signature (64 bytes) over crypto/secagg/round.ts consistencyPayload: session id,
   * protocol round id, the SHA-256 of the round config and the survivor list.
   */
  'signature'?: (Buffer | Uint8Array | string);
}

/**
 * A consistency signature relayed to neighbours.
 */
export interface SiteSignature__Output {
  /**
   * The signer's site id.
   */
  'siteId': (string);
  /**
   * Ed25519 signature (64 bytes) over crypto/secagg/round.ts consistencyPayload: session id,
   * protocol round id, the SHA-256 of the round config and the survivor list.
   */
  'signature': (Buffer);
}
