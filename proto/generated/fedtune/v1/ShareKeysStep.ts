// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { AdvertisedKeys as _fedtune_v1_AdvertisedKeys, AdvertisedKeys__Output as _fedtune_v1_AdvertisedKeys__Output } from '../../fedtune/v1/AdvertisedKeys.ts';

/**
 * SecAgg+ stage 1 input.
 */
export interface ShareKeysStep {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * Advertised keys of this site's neighbours that advertised in time.
   */
  'advertisements'?: (_fedtune_v1_AdvertisedKeys)[];
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs'?: (number);
}

/**
 * SecAgg+ stage 1 input.
 */
export interface ShareKeysStep__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * Advertised keys of this site's neighbours that advertised in time.
   */
  'advertisements': (_fedtune_v1_AdvertisedKeys__Output)[];
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs': (number);
}
