// Original file: proto/fedtune.proto

import type { SiteSummary as _fedtune_v1_SiteSummary, SiteSummary__Output as _fedtune_v1_SiteSummary__Output } from '../../fedtune/v1/SiteSummary.ts';

/**
 * Enrolled sites.
 */
export interface SitesResponse {
  /**
   * Sorted by site id.
   */
  'sites'?: (_fedtune_v1_SiteSummary)[];
}

/**
 * Enrolled sites.
 */
export interface SitesResponse__Output {
  /**
   * Sorted by site id.
   */
  'sites': (_fedtune_v1_SiteSummary__Output)[];
}
