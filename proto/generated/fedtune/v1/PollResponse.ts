// Original file: proto/fedtune.proto

import type { WaitStep as _fedtune_v1_WaitStep, WaitStep__Output as _fedtune_v1_WaitStep__Output } from '../../fedtune/v1/WaitStep.ts';
import type { TrainTask as _fedtune_v1_TrainTask, TrainTask__Output as _fedtune_v1_TrainTask__Output } from '../../fedtune/v1/TrainTask.ts';
import type { EvalTask as _fedtune_v1_EvalTask, EvalTask__Output as _fedtune_v1_EvalTask__Output } from '../../fedtune/v1/EvalTask.ts';
import type { ShareKeysStep as _fedtune_v1_ShareKeysStep, ShareKeysStep__Output as _fedtune_v1_ShareKeysStep__Output } from '../../fedtune/v1/ShareKeysStep.ts';
import type { MaskedInputStep as _fedtune_v1_MaskedInputStep, MaskedInputStep__Output as _fedtune_v1_MaskedInputStep__Output } from '../../fedtune/v1/MaskedInputStep.ts';
import type { ConsistencyStep as _fedtune_v1_ConsistencyStep, ConsistencyStep__Output as _fedtune_v1_ConsistencyStep__Output } from '../../fedtune/v1/ConsistencyStep.ts';
import type { UnmaskStep as _fedtune_v1_UnmaskStep, UnmaskStep__Output as _fedtune_v1_UnmaskStep__Output } from '../../fedtune/v1/UnmaskStep.ts';
import type { KeyCeremonyStep as _fedtune_v1_KeyCeremonyStep, KeyCeremonyStep__Output as _fedtune_v1_KeyCeremonyStep__Output } from '../../fedtune/v1/KeyCeremonyStep.ts';
import type { FinishedStep as _fedtune_v1_FinishedStep, FinishedStep__Output as _fedtune_v1_FinishedStep__Output } from '../../fedtune/v1/FinishedStep.ts';
import type { DecryptStep as _fedtune_v1_DecryptStep, DecryptStep__Output as _fedtune_v1_DecryptStep__Output } from '../../fedtune/v1/DecryptStep.ts';

/**
 * The next step for the polling site; exactly one is set.
 */
export interface PollResponse {
  /**
   * Nothing to do yet; poll again.
   */
  'wait'?: (_fedtune_v1_WaitStep | null);
  /**
   * Train locally and submit an update.
   */
  'train'?: (_fedtune_v1_TrainTask | null);
  /**
   * Evaluate the global adapter and submit metrics.
   */
  'eval'?: (_fedtune_v1_EvalTask | null);
  /**
   * SecAgg+ stage 1: the neighbours' advertised keys; answer with ShareKeys.
   */
  'shareKeys'?: (_fedtune_v1_ShareKeysStep | null);
  /**
   * SecAgg+ stage 2: the encrypted shares addressed to this site; answer with the masked input.
   */
  'maskedInput'?: (_fedtune_v1_MaskedInputStep | null);
  /**
   * SecAgg+ stage 3: the survivor list to sign; answer with SignSurvivors.
   */
  'consistency'?: (_fedtune_v1_ConsistencyStep | null);
  /**
   * SecAgg+ stage 4: survivors and their signatures; answer with Unmask.
   */
  'unmask'?: (_fedtune_v1_UnmaskStep | null);
  /**
   * he mode: a stage of the threshold key ceremony.
   */
  'keyCeremony'?: (_fedtune_v1_KeyCeremonyStep | null);
  /**
   * The federation has finished; the site may exit.
   */
  'finished'?: (_fedtune_v1_FinishedStep | null);
  /**
   * he mode: a key holder's decryption share of a round's aggregate.
   */
  'decrypt'?: (_fedtune_v1_DecryptStep | null);
  'step'?: "wait"|"train"|"eval"|"shareKeys"|"maskedInput"|"consistency"|"unmask"|"keyCeremony"|"finished"|"decrypt";
}

/**
 * The next step for the polling site; exactly one is set.
 */
export interface PollResponse__Output {
  /**
   * Nothing to do yet; poll again.
   */
  'wait'?: (_fedtune_v1_WaitStep__Output | null);
  /**
   * Train locally and submit an update.
   */
  'train'?: (_fedtune_v1_TrainTask__Output | null);
  /**
   * Evaluate the global adapter and submit metrics.
   */
  'eval'?: (_fedtune_v1_EvalTask__Output | null);
  /**
   * SecAgg+ stage 1: the neighbours' advertised keys; answer with ShareKeys.
   */
  'shareKeys'?: (_fedtune_v1_ShareKeysStep__Output | null);
  /**
   * SecAgg+ stage 2: the encrypted shares addressed to this site; answer with the masked input.
   */
  'maskedInput'?: (_fedtune_v1_MaskedInputStep__Output | null);
  /**
   * SecAgg+ stage 3: the survivor list to sign; answer with SignSurvivors.
   */
  'consistency'?: (_fedtune_v1_ConsistencyStep__Output | null);
  /**
   * SecAgg+ stage 4: survivors and their signatures; answer with Unmask.
   */
  'unmask'?: (_fedtune_v1_UnmaskStep__Output | null);
  /**
   * he mode: a stage of the threshold key ceremony.
   */
  'keyCeremony'?: (_fedtune_v1_KeyCeremonyStep__Output | null);
  /**
   * The federation has finished; the site may exit.
   */
  'finished'?: (_fedtune_v1_FinishedStep__Output | null);
  /**
   * he mode: a key holder's decryption share of a round's aggregate.
   */
  'decrypt'?: (_fedtune_v1_DecryptStep__Output | null);
  'step'?: "wait"|"train"|"eval"|"shareKeys"|"maskedInput"|"consistency"|"unmask"|"keyCeremony"|"finished"|"decrypt";
}
