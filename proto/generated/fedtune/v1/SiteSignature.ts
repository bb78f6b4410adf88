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
   * Ed25519 signature (64 bytes) over the survivor list.
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
   * Ed25519 signature (64 bytes) over the survivor list.
   */
  'signature': (Buffer);
}
