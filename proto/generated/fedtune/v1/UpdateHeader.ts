// Original file: proto/fedtune.proto

import type { RoundRef as _fedtune_v1_RoundRef, RoundRef__Output as _fedtune_v1_RoundRef__Output } from '../../fedtune/v1/RoundRef.ts';
import type { Long } from '@grpc/proto-loader';

/**
 * Announces an update upload.
 */
export interface UpdateHeader {
  /**
   * The round try the update belongs to.
   */
  'ref'?: (_fedtune_v1_RoundRef | null);
  /**
   * "plain" (float32, none mode), "masked" (uint32, secagg) or "ciphertext" (he).
   */
  'encoding'?: (string);
  /**
   * Number of elements (plain, masked) or bytes (ciphertext) that follow.
   */
  'length'?: (number | string | Long);
  /**
   * Training examples behind the update (plain mode only; secagg/he carry n_k inside the protected vector).
   */
  'numExamples'?: (number);
  /**
   * Local training loss at the end of the round (plain mode only).
   */
  'trainLoss'?: (number | string);
}

/**
 * Announces an update upload.
 */
export interface UpdateHeader__Output {
  /**
   * The round try the update belongs to.
   */
  'ref': (_fedtune_v1_RoundRef__Output | null);
  /**
   * "plain" (float32, none mode), "masked" (uint32, secagg) or "ciphertext" (he).
   */
  'encoding': (string);
  /**
   * Number of elements (plain, masked) or bytes (ciphertext) that follow.
   */
  'length': (string);
  /**
   * Training examples behind the update (plain mode only; secagg/he carry n_k inside the protected vector).
   */
  'numExamples': (number);
  /**
   * Local training loss at the end of the round (plain mode only).
   */
  'trainLoss': (number);
}
