// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { RelayedShare as _fedtune_v1_RelayedShare, RelayedShare__Output as _fedtune_v1_RelayedShare__Output } from '../../fedtune/v1/RelayedShare.ts';

/**
 * SecAgg+ stage 2 input.
 */
export interface MaskedInputStep {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * Encrypted shares addressed to this site by neighbours that shared in time.
   */
  'shares'?: (_fedtune_v1_RelayedShare)[];
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs'?: (number);
}

/**
 * SecAgg+ stage 2 input.
 */
export interface MaskedInputStep__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * Encrypted shares addressed to this site by neighbours that shared in time.
   */
  'shares': (_fedtune_v1_RelayedShare__Output)[];
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs': (number);
}
