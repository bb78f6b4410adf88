// Original file: proto/fedtune.proto

import type { ExportManifest as _fedtune_v1_ExportManifest, ExportManifest__Output as _fedtune_v1_ExportManifest__Output } from '../../fedtune/v1/ExportManifest.ts';
import type { AggregateHeader as _fedtune_v1_AggregateHeader, AggregateHeader__Output as _fedtune_v1_AggregateHeader__Output } from '../../fedtune/v1/AggregateHeader.ts';
import type { DataChunk as _fedtune_v1_DataChunk, DataChunk__Output as _fedtune_v1_DataChunk__Output } from '../../fedtune/v1/DataChunk.ts';
import type { KeyBlobHeader as _fedtune_v1_KeyBlobHeader, KeyBlobHeader__Output as _fedtune_v1_KeyBlobHeader__Output } from '../../fedtune/v1/KeyBlobHeader.ts';

/**
 * One message of an ExportAggregates stream: the manifest first, then for each round in
 * ExportManifest.versions an AggregateHeader followed by that aggregate's DataChunk parts in order.
 */
export interface ExportPart {
  /**
   * First message of the stream.
   */
  'manifest'?: (_fedtune_v1_ExportManifest | null);
  /**
   * Starts one round's encrypted aggregate.
   */
  'aggregate'?: (_fedtune_v1_AggregateHeader | null);
  /**
   * A byte slice of the current aggregate or share (byte offsets).
   */
  'chunk'?: (_fedtune_v1_DataChunk | null);
  /**
   * Starts one key holder's sealed decryption share of the current aggregate, or that share's key sealed
   * to the calling site.
   */
  'share'?: (_fedtune_v1_KeyBlobHeader | null);
  'part'?: "manifest"|"aggregate"|"chunk"|"share";
}

/**
 * One message of an ExportAggregates stream: the manifest first, then for each round in
 * ExportManifest.versions an AggregateHeader followed by that aggregate's DataChunk parts in order.
 */
export interface ExportPart__Output {
  /**
   * First message of the stream.
   */
  'manifest'?: (_fedtune_v1_ExportManifest__Output | null);
  /**
   * Starts one round's encrypted aggregate.
   */
  'aggregate'?: (_fedtune_v1_AggregateHeader__Output | null);
  /**
   * A byte slice of the current aggregate or share (byte offsets).
   */
  'chunk'?: (_fedtune_v1_DataChunk__Output | null);
  /**
   * Starts one key holder's sealed decryption share of the current aggregate, or that share's key sealed
   * to the calling site.
   */
  'share'?: (_fedtune_v1_KeyBlobHeader__Output | null);
  'part'?: "manifest"|"aggregate"|"chunk"|"share";
}
