// Original file: proto/fedtune.proto

import type { LedgerReport as _fedtune_v1_LedgerReport, LedgerReport__Output as _fedtune_v1_LedgerReport__Output } from '../../fedtune/v1/LedgerReport.ts';

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
  /**
   * The site's privacy ledger as it last reported it; unset before its first DP charge.
   */
  'ledger'?: (_fedtune_v1_LedgerReport | null);
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
  /**
   * The site's privacy ledger as it last reported it; unset before its first DP charge.
   */
  'ledger': (_fedtune_v1_LedgerReport__Output | null);
}
