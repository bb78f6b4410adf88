// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';

/**
 * SecAgg+ stage 3 input.
 */
export interface ConsistencyStep {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * Sites whose masked input arrived complete, sorted.
   */
  'survivors'?: (string)[];
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs'?: (number);
}

/**
 * SecAgg+ stage 3 input.
 */
export interface ConsistencyStep__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * Sites whose masked input arrived complete, sorted.
   */
  'survivors': (string)[];
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs': (number);
}
