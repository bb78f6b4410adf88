// Original file: proto/fedtune.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Names an envelope.
 */
export interface KeyBlobHeader {
  /**
   * The ceremony the envelope belongs to.
   */
  'keyId'?: (string);
  /**
   * The recipient's site id.
   */
  'recipient'?: (string);
  /**
   * Total bytes of the envelope.
   */
  'length'?: (number | string | Long);
  /**
   * FetchKeys only (empty in PublishKeys, whose caller's certificate names the sealer): the site that
   * sealed this envelope, i.e. the ceremony's dealer, or the key holder that handed the key to a late site.
   */
  'sealerSiteId'?: (string);
  /**
   * FetchKeys only: the sealer's X25519 envelope public key (32 bytes), as bound at its Join; the
   * recipient opens the envelope only if the sealer named inside it holds this key.
   */
  'sealerEnvelopePublicKey'?: (Buffer | Uint8Array | string);
}

/**
 * Names an envelope.
 */
export interface KeyBlobHeader__Output {
  /**
   * The ceremony the envelope belongs to.
   */
  'keyId': (string);
  /**
   * The recipient's site id.
   */
  'recipient': (string);
  /**
   * Total bytes of the envelope.
   */
  'length': (string);
  /**
   * FetchKeys only (empty in PublishKeys, whose caller's certificate names the sealer): the site that
   * sealed this envelope, i.e. the ceremony's dealer, or the key holder that handed the key to a late site.
   */
  'sealerSiteId': (string);
  /**
   * FetchKeys only: the sealer's X25519 envelope public key (32 bytes), as bound at its Join; the
   * recipient opens the envelope only if the sealer named inside it holds this key.
   */
  'sealerEnvelopePublicKey': (Buffer);
}
