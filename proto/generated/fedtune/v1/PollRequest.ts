// Original file: proto/fedtune.proto


/**
 * Ask for the next step.
 */
export interface PollRequest {
  /**
   * The longest the coordinator may hold the call before answering Wait, in milliseconds.
   */
  'waitMs'?: (number);
}

/**
 * Ask for the next step.
 */
export interface PollRequest__Output {
  /**
   * The longest the coordinator may hold the call before answering Wait, in milliseconds.
   */
  'waitMs': (number);
}
