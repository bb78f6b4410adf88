// Original file: proto/fedtune.proto


/**
 * Submit a run.
 */
export interface SubmitRunRequest {
  /**
   * The run's federation settings (baseModel, rounds, privacy, dp, training, evaluation, strategy).
   */
  'settingsText'?: (string);
  /**
   * The file they came from; a name ending in .json is read as JSON, anything else as YAML.
   */
  'source'?: (string);
}

/**
 * Submit a run.
 */
export interface SubmitRunRequest__Output {
  /**
   * The run's federation settings (baseModel, rounds, privacy, dp, training, evaluation, strategy).
   */
  'settingsText': (string);
  /**
   * The file they came from; a name ending in .json is read as JSON, anything else as YAML.
   */
  'source': (string);
}
