// Original file: proto/fedtune.proto


/**
 * Ask for what rebuilding a round's global adapter takes (he mode, export at a site).
 */
export interface ExportAggregatesRequest {
  /**
   * The completed training round whose global adapter is wanted (its version); 0 = the last one.
   */
  'round'?: (number);
  /**
   * The run it belongs to; 0 = the run in progress, or the latest.
   */
  'runId'?: (number);
}

/**
 * Ask for what rebuilding a round's global adapter takes (he mode, export at a site).
 */
export interface ExportAggregatesRequest__Output {
  /**
   * The completed training round whose global adapter is wanted (its version); 0 = the last one.
   */
  'round': (number);
  /**
   * The run it belongs to; 0 = the run in progress, or the latest.
   */
  'runId': (number);
}
