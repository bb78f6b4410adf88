// Original file: proto/fedtune.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Audit request.
 */
export interface AuditRequest {
  /**
   * First sequence number to return (0 = from the start).
   */
  'fromSeq'?: (number | string | Long);
}

/**
 * Audit request.
 */
export interface AuditRequest__Output {
  /**
   * First sequence number to return (0 = from the start).
   */
  'fromSeq': (string);
}
