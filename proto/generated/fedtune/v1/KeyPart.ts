// Original file: proto/fedtune.proto

import type { KeyBlobHeader as _fedtune_v1_KeyBlobHeader, KeyBlobHeader__Output as _fedtune_v1_KeyBlobHeader__Output } from '../../fedtune/v1/KeyBlobHeader.ts';
import type { DataChunk as _fedtune_v1_DataChunk, DataChunk__Output as _fedtune_v1_DataChunk__Output } from '../../fedtune/v1/DataChunk.ts';

/**
 * One message of a key ceremony stream.
 */
export interface KeyPart {
  /**
   * Which blob the following chunks belong to.
   */
  'header'?: (_fedtune_v1_KeyBlobHeader | null);
  /**
   * A piece of the current blob.
   */
  'chunk'?: (_fedtune_v1_DataChunk | null);
  'part'?: "header"|"chunk";
}

/**
 * One message of a key ceremony stream.
 */
export interface KeyPart__Output {
  /**
   * Which blob the following chunks belong to.
   */
  'header'?: (_fedtune_v1_KeyBlobHeader__Output | null);
  /**
   * A piece of the current blob.
   */
  'chunk'?: (_fedtune_v1_DataChunk__Output | null);
  'part'?: "header"|"chunk";
}
