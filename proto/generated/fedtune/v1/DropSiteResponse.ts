// Original file: proto/fedtune.proto


/**
 * What a drop did.
 */
export interface DropSiteResponse {
  /**
   * The round the site was dropped from, and the try running at the time (0 between tries).
   */
  'round'?: (number);
  'attempt'?: (number);
  /**
   * The stage the site left ("" when it was not in the running try: it is left out of the round's next tries).
   */
  'stage'?: (string);
}

/**
 * What a drop did.
 */
export interface DropSiteResponse__Output {
  /**
   * The round the site was dropped from, and the try running at the time (0 between tries).
   */
  'round': (number);
  'attempt': (number);
  /**
   * The stage the site left ("" when it was not in the running try: it is left out of the round's next tries).
   */
  'stage': (string);
}
