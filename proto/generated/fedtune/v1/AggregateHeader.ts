// Original file: proto/fedtune.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Announces one round's encrypted aggregate.
 */
export interface AggregateHeader {
  /**
   * The training round that produced it.
   */
  'round'?: (number);
  /**
   * Hex SHA-256 of the aggregate's bytes, as the coordinator recorded it with the round.
   */
  'sha256'?: (string);
  /**
   * Total bytes of the aggregate that follow.
   */
  'length'?: (number | string | Long);
}

/**
 * Announces one round's encrypted aggregate.
 */
export interface AggregateHeader__Output {
  /**
   * The training round that produced it.
   */
  'round': (number);
  /**
   * Hex SHA-256 of the aggregate's bytes, as the coordinator recorded it with the round.
   */
  'sha256': (string);
  /**
   * Total bytes of the aggregate that follow.
   */
  'length': (string);
}
