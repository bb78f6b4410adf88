// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { RevealedShare as _fedtune_v1_RevealedShare, RevealedShare__Output as _fedtune_v1_RevealedShare__Output } from '../../fedtune/v1/RevealedShare.ts';

/**
 * SecAgg+ stage 4 output.
 */
export interface UnmaskRequest {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * Shares of survivors' self-mask seeds.
   */
  'selfMaskShares'?: (_fedtune_v1_RevealedShare)[];
  /**
   * Shares of dropouts' masking secret keys.
   */
  'maskingKeyShares'?: (_fedtune_v1_RevealedShare)[];
}

/**
 * SecAgg+ stage 4 output.
 */
export interface UnmaskRequest__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * Shares of survivors' self-mask seeds.
   */
  'selfMaskShares': (_fedtune_v1_RevealedShare__Output)[];
  /**
   * Shares of dropouts' masking secret keys.
   */
  'maskingKeyShares': (_fedtune_v1_RevealedShare__Output)[];
}
