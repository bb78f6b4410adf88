// Original file: proto/fedtune.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Result of an audit chain check.
 */
export interface VerifyAuditResponse {
  /**
   * True when every link checks.
   */
  'ok'?: (boolean);
  /**
   * Entries checked.
   */
  'entries'?: (number | string | Long);
  /**
   * First entry whose hash does not check (0 when ok).
   */
  'firstBadSeq'?: (number | string | Long);
  /**
   * Human-readable explanation.
   */
  'detail'?: (string);
}

/**
 * Result of an audit chain check.
 */
export interface VerifyAuditResponse__Output {
  /**
   * True when every link checks.
   */
  'ok': (boolean);
  /**
   * Entries checked.
   */
  'entries': (string);
  /**
   * First entry whose hash does not check (0 when ok).
   */
  'firstBadSeq': (string);
  /**
   * Human-readable explanation.
   */
  'detail': (string);
}
