// Original file: proto/fedtune.proto


/**
 * Local training settings for one round.
 */
export interface TrainingSettings {
  /**
   * Optimizer steps to run locally.
   */
  'localSteps'?: (number);
  /**
   * Examples per step.
   */
  'batchSize'?: (number);
  /**
   * Learning rate of the local optimizer.
   */
  'learningRate'?: (number | string);
  /**
   * Longest token sequence fed to the model.
   */
  'maxSeqLen'?: (number);
  /**
   * FedProx proximal coefficient μ (0 disables the term).
   */
  'fedproxMu'?: (number | string);
  /**
   * Seed for the site's data order and dropout in this round.
   */
  'seed'?: (number);
}

/**
 * Local training settings for one round.
 */
export interface TrainingSettings__Output {
  /**
   * Optimizer steps to run locally.
   */
  'localSteps': (number);
  /**
   * Examples per step.
   */
  'batchSize': (number);
  /**
   * Learning rate of the local optimizer.
   */
  'learningRate': (number);
  /**
   * Longest token sequence fed to the model.
   */
  'maxSeqLen': (number);
  /**
   * FedProx proximal coefficient μ (0 disables the term).
   */
  'fedproxMu': (number);
  /**
   * Seed for the site's data order and dropout in this round.
   */
  'seed': (number);
}
