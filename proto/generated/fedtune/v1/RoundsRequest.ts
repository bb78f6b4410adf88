// Original file: proto/fedtune.proto


/**
 * Rounds request (no fields).
 */
export interface RoundsRequest {
}

/**
 * Rounds request (no fields).
 */
export interface RoundsRequest__Output {
}
