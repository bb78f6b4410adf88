// Original file: proto/fedtune.proto


/**
 * List runs (no fields).
 */
export interface ListRunsRequest {
}

/**
 * List runs (no fields).
 */
export interface ListRunsRequest__Output {
}
