// Original file: proto/fedtune.proto


/**
 * One round try.
 */
export interface RoundSummary {
  /**
   * Round number.
   */
  'round'?: (number);
  /**
   * Try number.
   */
  'attempt'?: (number);
  /**
   * "train" or "eval".
   */
  'kind'?: (string);
  /**
   * "completed", "abandoned" or "running".
   */
  'outcome'?: (string);
  /**
   * Participants picked.
   */
  'participants'?: (number);
  /**
   * Participants that dropped or declined.
   */
  'dropouts'?: (number);
  /**
   * Hex SHA-256 of the checkpoint the round produced ("" if none).
   */
  'checkpointSha256'?: (string);
  /**
   * Mean metrics reported in the round (eval rounds) or mean training loss (plain train rounds).
   */
  'metrics'?: ({[key: string]: number | string});
  /**
   * Why the round was abandoned ("" otherwise).
   */
  'reason'?: (string);
  /**
   * The run the round belongs to.
   */
  'runId'?: (number);
  /**
   * The training round it is (train) or follows (eval): rounds: 2 gives training rounds 1 and 2.
   */
  'trainingRound'?: (number);
}

/**
 * One round try.
 */
export interface RoundSummary__Output {
  /**
   * Round number.
   */
  'round': (number);
  /**
   * Try number.
   */
  'attempt': (number);
  /**
   * "train" or "eval".
   */
  'kind': (string);
  /**
   * "completed", "abandoned" or "running".
   */
  'outcome': (string);
  /**
   * Participants picked.
   */
  'participants': (number);
  /**
   * Participants that dropped or declined.
   */
  'dropouts': (number);
  /**
   * Hex SHA-256 of the checkpoint the round produced ("" if none).
   */
  'checkpointSha256': (string);
  /**
   * Mean metrics reported in the round (eval rounds) or mean training loss (plain train rounds).
   */
  'metrics': ({[key: string]: number});
  /**
   * Why the round was abandoned ("" otherwise).
   */
  'reason': (string);
  /**
   * The run the round belongs to.
   */
  'runId': (number);
  /**
   * The training round it is (train) or follows (eval): rounds: 2 gives training rounds 1 and 2.
   */
  'trainingRound': (number);
}
