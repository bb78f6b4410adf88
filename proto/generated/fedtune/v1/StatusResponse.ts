// Original file: proto/fedtune.proto


/**
 * The federation's current state.
 */
export interface StatusResponse {
  /**
   * The federation's name.
   */
  'federationName'?: (string);
  /**
   * Privacy mode.
   */
  'privacyMode'?: (string);
  /**
   * Strategy name.
   */
  'strategy'?: (string);
  /**
   * Current round (0 before the first).
   */
  'round'?: (number);
  /**
   * Current try of the round.
   */
  'attempt'?: (number);
  /**
   * Current stage name ("idle", "training", "advertise_keys", …, "finished").
   */
  'stage'?: (string);
  /**
   * Rounds completed so far.
   */
  'completedRounds'?: (number);
  /**
   * Rounds planned.
   */
  'totalRounds'?: (number);
  /**
   * Sites that joined.
   */
  'sitesJoined'?: (number);
  /**
   * Sites polling within the last minute.
   */
  'sitesOnline'?: (number);
}

/**
 * The federation's current state.
 */
export interface StatusResponse__Output {
  /**
   * The federation's name.
   */
  'federationName': (string);
  /**
   * Privacy mode.
   */
  'privacyMode': (string);
  /**
   * Strategy name.
   */
  'strategy': (string);
  /**
   * Current round (0 before the first).
   */
  'round': (number);
  /**
   * Current try of the round.
   */
  'attempt': (number);
  /**
   * Current stage name ("idle", "training", "advertise_keys", …, "finished").
   */
  'stage': (string);
  /**
   * Rounds completed so far.
   */
  'completedRounds': (number);
  /**
   * Rounds planned.
   */
  'totalRounds': (number);
  /**
   * Sites that joined.
   */
  'sitesJoined': (number);
  /**
   * Sites polling within the last minute.
   */
  'sitesOnline': (number);
}
