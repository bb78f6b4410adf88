// Original file: proto/fedtune.proto


/**
 * Rounds request.
 */
export interface RoundsRequest {
  /**
   * The run whose rounds to list (0 = the run in progress, or the latest).
   */
  'runId'?: (number);
}

/**
 * Rounds request.
 */
export interface RoundsRequest__Output {
  /**
   * The run whose rounds to list (0 = the run in progress, or the latest).
   */
  'runId': (number);
}
