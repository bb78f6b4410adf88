// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';

/**
 * A declined task.
 */
export interface DeclineRequest {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * "privacy_budget", "model_mismatch", "trainer_failure", "site_policy" or "internal".
   */
  'reason'?: (string);
  /**
   * Human-readable detail for the coordinator's log.
   */
  'detail'?: (string);
}

/**
 * A declined task.
 */
export interface DeclineRequest__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * "privacy_budget", "model_mismatch", "trainer_failure", "site_policy" or "internal".
   */
  'reason': (string);
  /**
   * Human-readable detail for the coordinator's log.
   */
  'detail': (string);
}
