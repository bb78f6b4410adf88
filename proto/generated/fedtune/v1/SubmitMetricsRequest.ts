// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';

/**
 * Evaluation results.
 */
export interface SubmitMetricsRequest {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * Examples evaluated.
   */
  'numExamples'?: (number);
  /**
   * Metric name → value (e.g. "loss", "accuracy").
   */
  'metrics'?: ({[key: string]: number | string});
}

/**
 * Evaluation results.
 */
export interface SubmitMetricsRequest__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * Examples evaluated.
   */
  'numExamples': (number);
  /**
   * Metric name → value (e.g. "loss", "accuracy").
   */
  'metrics': ({[key: string]: number});
}
