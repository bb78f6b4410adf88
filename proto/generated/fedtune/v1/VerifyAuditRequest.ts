// Original file: proto/fedtune.proto


/**
 * Verify request (no fields).
 */
export interface VerifyAuditRequest {
}

/**
 * Verify request (no fields).
 */
export interface VerifyAuditRequest__Output {
}
