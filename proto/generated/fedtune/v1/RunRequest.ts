// Original file: proto/fedtune.proto


/**
 * One run, by id.
 */
export interface RunRequest {
  /**
   * The run's id.
   */
  'runId'?: (number);
}

/**
 * One run, by id.
 */
export interface RunRequest__Output {
  /**
   * The run's id.
   */
  'runId': (number);
}
