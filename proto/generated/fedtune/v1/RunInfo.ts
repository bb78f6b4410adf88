// Original file: proto/fedtune.proto


/**
 * A run and where it stands.
 */
export interface RunInfo {
  /**
   * The run's id (submission order).
   */
  'runId'?: (number);
  /**
   * "queued", "running", "finished", "aborted" or "failed".
   */
  'state'?: (string);
  /**
   * Why it was aborted or failed ("" otherwise).
   */
  'reason'?: (string);
  /**
   * Who submitted it: "config" (the coordinator's config) or an admin name.
   */
  'submittedBy'?: (string);
  /**
   * ISO-8601 time of its submission.
   */
  'submittedAt'?: (string);
  /**
   * ISO-8601 time it started ("" while queued).
   */
  'startedAt'?: (string);
  /**
   * ISO-8601 time it ended ("" until then).
   */
  'endedAt'?: (string);
  /**
   * Training rounds planned.
   */
  'rounds'?: (number);
  /**
   * Privacy mode.
   */
  'privacyMode'?: (string);
  /**
   * Training rounds completed.
   */
  'completedTrainingRounds'?: (number);
  /**
   * The run's settings as JSON.
   */
  'settingsJson'?: (string);
}

/**
 * A run and where it stands.
 */
export interface RunInfo__Output {
  /**
   * The run's id (submission order).
   */
  'runId': (number);
  /**
   * "queued", "running", "finished", "aborted" or "failed".
   */
  'state': (string);
  /**
   * Why it was aborted or failed ("" otherwise).
   */
  'reason': (string);
  /**
   * Who submitted it: "config" (the coordinator's config) or an admin name.
   */
  'submittedBy': (string);
  /**
   * ISO-8601 time of its submission.
   */
  'submittedAt': (string);
  /**
   * ISO-8601 time it started ("" while queued).
   */
  'startedAt': (string);
  /**
   * ISO-8601 time it ended ("" until then).
   */
  'endedAt': (string);
  /**
   * Training rounds planned.
   */
  'rounds': (number);
  /**
   * Privacy mode.
   */
  'privacyMode': (string);
  /**
   * Training rounds completed.
   */
  'completedTrainingRounds': (number);
  /**
   * The run's settings as JSON.
   */
  'settingsJson': (string);
}
