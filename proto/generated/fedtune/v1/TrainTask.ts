// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { TrainingSettings as _fedtune_v1_TrainingSettings, TrainingSettings__Output as _fedtune_v1_TrainingSettings__Output } from '../../fedtune/v1/TrainingSettings.ts';
import type { PrivacySettings as _fedtune_v1_PrivacySettings, PrivacySettings__Output as _fedtune_v1_PrivacySettings__Output } from '../../fedtune/v1/PrivacySettings.ts';
import type { SecAggSettings as _fedtune_v1_SecAggSettings, SecAggSettings__Output as _fedtune_v1_SecAggSettings__Output } from '../../fedtune/v1/SecAggSettings.ts';
import type { HeSettings as _fedtune_v1_HeSettings, HeSettings__Output as _fedtune_v1_HeSettings__Output } from '../../fedtune/v1/HeSettings.ts';

/**
 * A training task.
 */
export interface TrainTask {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * Version (round number that produced it, 0 = initial) of the global adapter to start from.
   */
  'globalVersion'?: (number);
  /**
   * Local training settings.
   */
  'training'?: (_fedtune_v1_TrainingSettings | null);
  /**
   * Privacy settings.
   */
  'privacy'?: (_fedtune_v1_PrivacySettings | null);
  /**
   * Set in secagg mode.
   */
  'secagg'?: (_fedtune_v1_SecAggSettings | null);
  /**
   * Number of sites in this round try.
   */
  'participants'?: (number);
  /**
   * Milliseconds the site has to submit (training included) before it counts as a dropout.
   */
  'deadlineMs'?: (number);
  /**
   * Set in he mode.
   */
  'he'?: (_fedtune_v1_HeSettings | null);
}

/**
 * A training task.
 */
export interface TrainTask__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * Version (round number that produced it, 0 = initial) of the global adapter to start from.
   */
  'globalVersion': (number);
  /**
   * Local training settings.
   */
  'training': (_fedtune_v1_TrainingSettings__Output | null);
  /**
   * Privacy settings.
   */
  'privacy': (_fedtune_v1_PrivacySettings__Output | null);
  /**
   * Set in secagg mode.
   */
  'secagg': (_fedtune_v1_SecAggSettings__Output | null);
  /**
   * Number of sites in this round try.
   */
  'participants': (number);
  /**
   * Milliseconds the site has to submit (training included) before it counts as a dropout.
   */
  'deadlineMs': (number);
  /**
   * Set in he mode.
   */
  'he': (_fedtune_v1_HeSettings__Output | null);
}
