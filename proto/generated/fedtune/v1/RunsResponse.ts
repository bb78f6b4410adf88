// Original file: proto/fedtune.proto

import type { RunInfo as _fedtune_v1_RunInfo, RunInfo__Output as _fedtune_v1_RunInfo__Output } from '../../fedtune/v1/RunInfo.ts';

/**
 * Every run.
 */
export interface RunsResponse {
  /**
   * Oldest first.
   */
  'runs'?: (_fedtune_v1_RunInfo)[];
}

/**
 * Every run.
 */
export interface RunsResponse__Output {
  /**
   * Oldest first.
   */
  'runs': (_fedtune_v1_RunInfo__Output)[];
}
