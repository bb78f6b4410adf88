// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { SiteSignature as _fedtune_v1_SiteSignature, SiteSignature__Output as _fedtune_v1_SiteSignature__Output } from '../../fedtune/v1/SiteSignature.ts';

/**
 * SecAgg+ stage 4 input.
 */
export interface UnmaskStep {
  /**
   * The round try.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * Sites whose masked input arrived, sorted (the list signed in stage 3).
   */
  'survivors'?: (string)[];
  /**
   * Consistency signatures of this site's neighbours.
   */
  'signatures'?: (_fedtune_v1_SiteSignature)[];
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs'?: (number);
}

/**
 * SecAgg+ stage 4 input.
 */
export interface UnmaskStep__Output {
  /**
   * The round try.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * Sites whose masked input arrived, sorted (the list signed in stage 3).
   */
  'survivors': (string)[];
  /**
   * Consistency signatures of this site's neighbours.
   */
  'signatures': (_fedtune_v1_SiteSignature__Output)[];
  /**
   * Milliseconds left for this stage.
   */
  'deadlineMs': (number);
}
