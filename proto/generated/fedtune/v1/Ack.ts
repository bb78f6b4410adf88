// Original file: proto/fedtune.proto


/**
 * Acknowledgement.
 */
export interface Ack {
  /**
   * Human-readable note for the site's log.
   */
  'note'?: (string);
}

/**
 * Acknowledgement.
 */
export interface Ack__Output {
  /**
   * Human-readable note for the site's log.
   */
  'note': (string);
}
