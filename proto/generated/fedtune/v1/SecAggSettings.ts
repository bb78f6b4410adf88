// Original file: proto/fedtune.proto

import type { RosterEntry as _fedtune_v1_RosterEntry, RosterEntry__Output as _fedtune_v1_RosterEntry__Output } from '../../fedtune/v1/RosterEntry.ts';

/**
 * Public SecAgg+ parameters of a round try (crypto/secagg/round.ts SecAggConfig), identical at every site
 * but for the roster entries' certificates (RosterEntry).
 */
export interface SecAggSettings {
  /**
   * Protocol round id, bound into every signature and derived key; unique per round try.
   */
  'roundId'?: (number);
  /**
   * 32 public random bytes chosen by the coordinator: seeds the neighbour graph, salts every KDF.
   */
  'sessionId'?: (Buffer | Uint8Array | string);
  /**
   * Shamir threshold t.
   */
  'threshold'?: (number);
  /**
   * Neighbour degree k (n − 1 for classic SecAgg).
   */
  'degree'?: (number);
  /**
   * Entries of the protected vector: the update's length plus one for the example count n_k.
   */
  'vectorLength'?: (number);
  /**
   * Fixed-point codec: values are clipped to ±clip_range before quantization.
   */
  'clipRange'?: (number | string);
  /**
   * Fixed-point codec: most vectors that may be summed (sets the headroom).
   */
  'maxSummands'?: (number);
  /**
   * Largest example count n_k a site may report; n_k / max_examples is what the vector carries.
   */
  'maxExamples'?: (number);
  /**
   * The participants of this round try.
   */
  'roster'?: (_fedtune_v1_RosterEntry)[];
}

/**
 * Public SecAgg+ parameters of a round try (crypto/secagg/round.ts SecAggConfig), identical at every site
 * but for the roster entries' certificates (RosterEntry).
 */
export interface SecAggSettings__Output {
  /**
   * Protocol round id, bound into every signature and derived key; unique per round try.
   */
  'roundId': (number);
  /**
   * 32 public random bytes chosen by the coordinator: seeds the neighbour graph, salts every KDF.
   */
  'sessionId': (Buffer);
  /**
   * Shamir threshold t.
   */
  'threshold': (number);
  /**
   * Neighbour degree k (n − 1 for classic SecAgg).
   */
  'degree': (number);
  /**
   * Entries of the protected vector: the update's length plus one for the example count n_k.
   */
  'vectorLength': (number);
  /**
   * Fixed-point codec: values are clipped to ±clip_range before quantization.
   */
  'clipRange': (number);
  /**
   * Fixed-point codec: most vectors that may be summed (sets the headroom).
   */
  'maxSummands': (number);
  /**
   * Largest example count n_k a site may report; n_k / max_examples is what the vector carries.
   */
  'maxExamples': (number);
  /**
   * The participants of this round try.
   */
  'roster': (_fedtune_v1_RosterEntry__Output)[];
}
