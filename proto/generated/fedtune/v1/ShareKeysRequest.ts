// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { EncryptedShare as _fedtune_v1_EncryptedShare, EncryptedShare__Output as _fedtune_v1_EncryptedShare__Output } from '../../fedtune/v1/EncryptedShare.ts';

/**
 * SecAgg+ stage 1 output.
 */
export interface ShareKeysRequest {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * One encrypted share pair per neighbour.
   */
  'shares'?: (_fedtune_v1_EncryptedShare)[];
}

/**
 * SecAgg+ stage 1 output.
 */
export interface ShareKeysRequest__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * One encrypted share pair per neighbour.
   */
  'shares': (_fedtune_v1_EncryptedShare__Output)[];
}
