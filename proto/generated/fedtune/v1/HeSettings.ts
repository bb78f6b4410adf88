// Original file: proto/fedtune.proto

import type { KeyHolder as _fedtune_v1_KeyHolder, KeyHolder__Output as _fedtune_v1_KeyHolder__Output } from '../../fedtune/v1/KeyHolder.ts';

/**
 * he mode settings: the collective key's ceremony, its holders, and how a site recovers the global adapter.
 */
export interface HeSettings {
  /**
   * The key ceremony whose collective key encrypts this round.
   */
  'keyId'?: (string);
  /**
   * Every completed training round up to the task's global version, oldest first: a site replays the
   * encrypted aggregates of those it has not applied yet.
   */
  'versions'?: (number)[];
  /**
   * FedAvg server learning rate η: global += η · Σw·Δ / Σw.
   */
  'serverLearningRate'?: (number | string);
  /**
   * Largest example count n_k a site may report; it encrypts n_k / max_examples as the weight.
   */
  'maxExamples'?: (number);
  /**
   * Decryption threshold t: any t key holders decrypt an aggregate.
   */
  'threshold'?: (number);
  /**
   * "coordinator" (decryption shares go to the coordinator, which holds the global adapter) or "sites"
   * (shares are sealed to each site, which rebuilds the global adapter from the aggregates).
   */
  'reveal'?: (string);
  /**
   * The key holders in ceremony order (holder index = position + 1), with the keys bound at their Join.
   */
  'holders'?: (_fedtune_v1_KeyHolder)[];
}

/**
 * he mode settings: the collective key's ceremony, its holders, and how a site recovers the global adapter.
 */
export interface HeSettings__Output {
  /**
   * The key ceremony whose collective key encrypts this round.
   */
  'keyId': (string);
  /**
   * Every completed training round up to the task's global version, oldest first: a site replays the
   * encrypted aggregates of those it has not applied yet.
   */
  'versions': (number)[];
  /**
   * FedAvg server learning rate η: global += η · Σw·Δ / Σw.
   */
  'serverLearningRate': (number);
  /**
   * Largest example count n_k a site may report; it encrypts n_k / max_examples as the weight.
   */
  'maxExamples': (number);
  /**
   * Decryption threshold t: any t key holders decrypt an aggregate.
   */
  'threshold': (number);
  /**
   * "coordinator" (decryption shares go to the coordinator, which holds the global adapter) or "sites"
   * (shares are sealed to each site, which rebuilds the global adapter from the aggregates).
   */
  'reveal': (string);
  /**
   * The key holders in ceremony order (holder index = position + 1), with the keys bound at their Join.
   */
  'holders': (_fedtune_v1_KeyHolder__Output)[];
}
