// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { Long } from '@grpc/proto-loader';

/**
 * Names one blob of a key stream.
 */
export interface KeyBlobHeader {
  /**
   * The ceremony the blob belongs to.
   */
  'keyId'?: (string);
  /**
   * The site the blob is addressed or sealed to, or whose it is (transcript entries, uploads); may be empty.
   */
  'recipient'?: (string);
  /**
   * Total bytes of the blob.
   */
  'length'?: (number | string | Long);
  /**
   * FetchKeys only (empty in PublishKeys, whose caller's certificate names the sealer): the key holder
   * that sealed this blob.
   */
  'sealerSiteId'?: (string);
  /**
   * What the blob is: "nonce", "public-key-share" (share || signature; in FetchKeys nonce || share ||
   * signature), "public-key", "key-share" (sealed Shamir share), "decryption-share" (under reveal "sites"
   * sealed once, unaddressed), "share-key" (the key to a sealed decryption share, sealed to `recipient`),
   * "aggregate", "upload".
   */
  'kind'?: (string);
  /**
   * The round try of a decryption share or a decryption's input; unset otherwise.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
}

/**
 * Names one blob of a key stream.
 */
export interface KeyBlobHeader__Output {
  /**
   * The ceremony the blob belongs to.
   */
  'keyId': (string);
  /**
   * The site the blob is addressed or sealed to, or whose it is (transcript entries, uploads); may be empty.
   */
  'recipient': (string);
  /**
   * Total bytes of the blob.
   */
  'length': (string);
  /**
   * FetchKeys only (empty in PublishKeys, whose caller's certificate names the sealer): the key holder
   * that sealed this blob.
   */
  'sealerSiteId': (string);
  /**
   * What the blob is: "nonce", "public-key-share" (share || signature; in FetchKeys nonce || share ||
   * signature), "public-key", "key-share" (sealed Shamir share), "decryption-share" (under reveal "sites"
   * sealed once, unaddressed), "share-key" (the key to a sealed decryption share, sealed to `recipient`),
   * "aggregate", "upload".
   */
  'kind': (string);
  /**
   * The round try of a decryption share or a decryption's input; unset otherwise.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
}
