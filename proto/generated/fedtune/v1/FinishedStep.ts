// Original file: proto/fedtune.proto


/**
 * The federation has finished.
 */
export interface FinishedStep {
  /**
   * Number of completed rounds.
   */
  'completedRounds'?: (number);
}

/**
 * The federation has finished.
 */
export interface FinishedStep__Output {
  /**
   * Number of completed rounds.
   */
  'completedRounds': (number);
}
