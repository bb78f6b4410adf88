// Original file: proto/fedtune.proto

import type { UpdateHeader as _fedtune_v1_UpdateHeader, UpdateHeader__Output as _fedtune_v1_UpdateHeader__Output } from '../../fedtune/v1/UpdateHeader.ts';
import type { DataChunk as _fedtune_v1_DataChunk, DataChunk__Output as _fedtune_v1_DataChunk__Output } from '../../fedtune/v1/DataChunk.ts';

/**
 * One message of a SubmitUpdate stream.
 */
export interface UpdatePart {
  /**
   * First message of the stream.
   */
  'header'?: (_fedtune_v1_UpdateHeader | null);
  /**
   * Every following message.
   */
  'chunk'?: (_fedtune_v1_DataChunk | null);
  'part'?: "header"|"chunk";
}

/**
 * One message of a SubmitUpdate stream.
 */
export interface UpdatePart__Output {
  /**
   * First message of the stream.
   */
  'header'?: (_fedtune_v1_UpdateHeader__Output | null);
  /**
   * Every following message.
   */
  'chunk'?: (_fedtune_v1_DataChunk__Output | null);
  'part'?: "header"|"chunk";
}
