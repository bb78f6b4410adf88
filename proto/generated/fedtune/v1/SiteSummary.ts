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
   * "active"; "revoked" (its certificate is on the revocation list); "dropped" (an operator dropped it from
   * the round in progress).
   */
  'standing'?: (string);
  /**
   * ISO-8601 time the coordinator acted on the site's revocation ("" if not revoked).
   */
  'revokedAt'?: (string);
  /**
   * ISO-8601 time of the last operator drop ("" if never dropped) and the round it was dropped from.
   */
  'droppedAt'?: (string);
  'droppedRound'?: (number);
  /**
   * The last task the site declined, as "round N: reason: detail" ("" if none).
   */
  'lastDecline'?: (string);
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
   * "active"; "revoked" (its certificate is on the revocation list); "dropped" (an operator dropped it from
   * the round in progress).
   */
  'standing': (string);
  /**
   * ISO-8601 time the coordinator acted on the site's revocation ("" if not revoked).
   */
  'revokedAt': (string);
  /**
   * ISO-8601 time of the last operator drop ("" if never dropped) and the round it was dropped from.
   */
  'droppedAt': (string);
  'droppedRound': (number);
  /**
   * The last task the site declined, as "round N: reason: detail" ("" if none).
   */
  'lastDecline': (string);
  /**
   * The site's privacy ledger as it last reported it; unset before its first DP charge.
   */
  'ledger': (_fedtune_v1_LedgerReport__Output | null);
}
