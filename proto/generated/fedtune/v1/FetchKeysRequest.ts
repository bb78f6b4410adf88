// Original file: proto/fedtune.proto


/**
 * Ask for the consortium keys.
 */
export interface FetchKeysRequest {
  /**
   * The ceremony whose envelope for the caller is wanted.
   */
  'keyId'?: (string);
}

/**
 * Ask for the consortium keys.
 */
export interface FetchKeysRequest__Output {
  /**
   * The ceremony whose envelope for the caller is wanted.
   */
  'keyId': (string);
}
