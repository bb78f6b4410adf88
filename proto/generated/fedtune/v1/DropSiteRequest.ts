// Original file: proto/fedtune.proto


/**
 * Drop request.
 */
export interface DropSiteRequest {
  /**
   * The site to drop (its certificate's name).
   */
  'siteId'?: (string);
}

/**
 * Drop request.
 */
export interface DropSiteRequest__Output {
  /**
   * The site to drop (its certificate's name).
   */
  'siteId': (string);
}
