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
}
