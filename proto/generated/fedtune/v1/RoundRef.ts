// Original file: proto/fedtune.proto


/**
 * Identifies one try of one round.
 */
export interface RoundRef {
  /**
   * Round number, from 1.
   */
  'round'?: (number);
  /**
   * Try number within the round, from 1; increases when a round is abandoned and retried.
   */
  'attempt'?: (number);
}

/**
 * Identifies one try of one round.
 */
export interface RoundRef__Output {
  /**
   * Round number, from 1.
   */
  'round': (number);
  /**
   * Try number within the round, from 1; increases when a round is abandoned and retried.
   */
  'attempt': (number);
}
