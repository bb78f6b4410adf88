// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { HeSettings as _fedtune_v1_HeSettings, HeSettings__Output as _fedtune_v1_HeSettings__Output } from '../../fedtune/v1/HeSettings.ts';
import type { SecAggSettings as _fedtune_v1_SecAggSettings, SecAggSettings__Output as _fedtune_v1_SecAggSettings__Output } from '../../fedtune/v1/SecAggSettings.ts';

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
   * Milliseconds the site has to submit metrics (secagg and he: to advertise its SecAgg+ keys).
   */
  'deadlineMs'?: (number);
  /**
   * Set in he mode.
   */
  'he'?: (_fedtune_v1_HeSettings | null);
  /**
   * Set in secagg and he mode: the site reports its counts (strategies/eval-report.ts) through this
   * SecAgg+ session instead of SubmitMetrics, so the coordinator learns the consortium's totals only.
   */
  'secagg'?: (_fedtune_v1_SecAggSettings | null);
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
   * Milliseconds the site has to submit metrics (secagg and he: to advertise its SecAgg+ keys).
   */
  'deadlineMs': (number);
  /**
   * Set in he mode.
   */
  'he': (_fedtune_v1_HeSettings__Output | null);
  /**
   * Set in secagg and he mode: the site reports its counts (strategies/eval-report.ts) through this
   * SecAgg+ session instead of SubmitMetrics, so the coordinator learns the consortium's totals only.
   */
  'secagg': (_fedtune_v1_SecAggSettings__Output | null);
}
