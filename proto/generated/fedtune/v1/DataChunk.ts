// Original file: proto/fedtune.proto

import type { Long } from '@grpc/proto-loader';

/**
 * One piece of a tensor stream.
 */
export interface DataChunk {
  /**
   * Element offset (float32/uint32 vectors) or byte offset (encrypted vectors, envelopes) of data.
   */
  'offset'?: (number | string | Long);
  /**
   * Little-endian float32/uint32 values, or a slice of an encrypted vector; at most MAX_CHUNK_BYTES.
   */
  'data'?: (Buffer | Uint8Array | string);
}

/**
 * One piece of a tensor stream.
 */
export interface DataChunk__Output {
  /**
   * Element offset (float32/uint32 vectors) or byte offset (encrypted vectors, envelopes) of data.
   */
  'offset': (string);
  /**
   * Little-endian float32/uint32 values, or a slice of an encrypted vector; at most MAX_CHUNK_BYTES.
   */
  'data': (Buffer);
}
