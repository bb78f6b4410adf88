// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { HeSettings as _fedtune_v1_HeSettings, HeSettings__Output as _fedtune_v1_HeSettings__Output } from '../../fedtune/v1/HeSettings.ts';

/**
 * An evaluation task.
 */
export interface EvalTask {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * Version of the global adapter to evaluate.
   */
  'globalVersion'?: (number);
  /**
   * Milliseconds the site has to submit metrics.
   */
  'deadlineMs'?: (number);
  /**
   * Set in he mode.
   */
  'he'?: (_fedtune_v1_HeSettings | null);
}

/**
 * An evaluation task.
 */
export interface EvalTask__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * Version of the global adapter to evaluate.
   */
  'globalVersion': (number);
  /**
   * Milliseconds the site has to submit metrics.
   */
  'deadlineMs': (number);
  /**
   * Set in he mode.
   */
  'he': (_fedtune_v1_HeSettings__Output | null);
}
