// Original file: proto/fedtune.proto


/**
 * Nothing to do yet.
 */
export interface WaitStep {
  /**
   * Suggested delay before the next Poll, in milliseconds.
   */
  'retryAfterMs'?: (number);
}

/**
 * Nothing to do yet.
 */
export interface WaitStep__Output {
  /**
   * Suggested delay before the next Poll, in milliseconds.
   */
  'retryAfterMs': (number);
}
