// Original file: proto/fedtune.proto


/**
 * Sites request (no fields).
 */
export interface SitesRequest {
}

/**
 * Sites request (no fields).
 */
export interface SitesRequest__Output {
}
