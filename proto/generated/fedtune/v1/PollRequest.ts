// Original file: proto/fedtune.proto

import type { LedgerReport as _fedtune_v1_LedgerReport, LedgerReport__Output as _fedtune_v1_LedgerReport__Output } from '../../fedtune/v1/LedgerReport.ts';

/**
 * Ask for the next step.
 */
export interface PollRequest {
  /**
   * The longest the coordinator may hold the call before answering Wait, in milliseconds.
   */
  'waitMs'?: (number);
  /**
   * What the site's privacy ledger holds now; unset before its first DP charge. For the operator's view
   * (`fedtune admin sites`): the site enforces its budget itself.
   */
  'ledger'?: (_fedtune_v1_LedgerReport | null);
}

/**
 * Ask for the next step.
 */
export interface PollRequest__Output {
  /**
   * The longest the coordinator may hold the call before answering Wait, in milliseconds.
   */
  'waitMs': (number);
  /**
   * What the site's privacy ledger holds now; unset before its first DP charge. For the operator's view
   * (`fedtune admin sites`): the site enforces its budget itself.
   */
  'ledger': (_fedtune_v1_LedgerReport__Output | null);
}
