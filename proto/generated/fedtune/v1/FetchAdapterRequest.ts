// Original file: proto/fedtune.proto


/**
 * Request the global adapter.
 */
export interface FetchAdapterRequest {
  /**
   * The adapter version (none, secagg) or the round whose aggregate ciphertexts are wanted (he).
   */
  'version'?: (number);
}

/**
 * Request the global adapter.
 */
export interface FetchAdapterRequest__Output {
  /**
   * The adapter version (none, secagg) or the round whose aggregate ciphertexts are wanted (he).
   */
  'version': (number);
}
