// Original file: proto/fedtune.proto

import type { RoundSummary as _fedtune_v1_RoundSummary, RoundSummary__Output as _fedtune_v1_RoundSummary__Output } from '../../fedtune/v1/RoundSummary.ts';

/**
 * Every round try.
 */
export interface RoundsResponse {
  /**
   * Oldest first.
   */
  'rounds'?: (_fedtune_v1_RoundSummary)[];
}

/**
 * Every round try.
 */
export interface RoundsResponse__Output {
  /**
   * Oldest first.
   */
  'rounds': (_fedtune_v1_RoundSummary__Output)[];
}
