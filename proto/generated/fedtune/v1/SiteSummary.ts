// Original file: proto/fedtune.proto


/**
 * One enrolled site.
 */
export interface SiteSummary {
  /**
   * Site id (certificate common name).
   */
  'siteId'?: (string);
  /**
   * ISO-8601 time of first join.
   */
  'joinedAt'?: (string);
  /**
   * ISO-8601 time of the last call.
   */
  'lastSeen'?: (string);
  /**
   * Rounds the site contributed to.
   */
  'roundsContributed'?: (number);
  /**
   * Rounds the site dropped out of or declined.
   */
  'roundsDropped'?: (number);
}

/**
 * One enrolled site.
 */
export interface SiteSummary__Output {
  /**
   * Site id (certificate common name).
   */
  'siteId': (string);
  /**
   * ISO-8601 time of first join.
   */
  'joinedAt': (string);
  /**
   * ISO-8601 time of the last call.
   */
  'lastSeen': (string);
  /**
   * Rounds the site contributed to.
   */
  'roundsContributed': (number);
  /**
   * Rounds the site dropped out of or declined.
   */
  'roundsDropped': (number);
}
