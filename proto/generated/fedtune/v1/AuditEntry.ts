// Original file: proto/fedtune.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One audit log entry.
 */
export interface AuditEntry {
  /**
   * Sequence number.
   */
  'seq'?: (number | string | Long);
  /**
   * ISO-8601 time.
   */
  'time'?: (string);
  /**
   * Event kind ("site_joined", "round_completed", …).
   */
  'kind'?: (string);
  /**
   * Event details as JSON.
   */
  'detailsJson'?: (string);
  /**
   * Hex SHA-256 of the previous entry's hash and this entry's content.
   */
  'hash'?: (string);
}

/**
 * One audit log entry.
 */
export interface AuditEntry__Output {
  /**
   * Sequence number.
   */
  'seq': (string);
  /**
   * ISO-8601 time.
   */
  'time': (string);
  /**
   * Event kind ("site_joined", "round_completed", …).
   */
  'kind': (string);
  /**
   * Event details as JSON.
   */
  'detailsJson': (string);
  /**
   * Hex SHA-256 of the previous entry's hash and this entry's content.
   */
  'hash': (string);
}
