// Original file: proto/fedtune.proto


/**
 * Status request (no fields).
 */
export interface StatusRequest {
}

/**
 * Status request (no fields).
 */
export interface StatusRequest__Output {
}
