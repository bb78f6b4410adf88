// The store's typed error: a write the state does not allow.
export type StorageErrorCode = "not-found" | "not-open" | "conflict" | "bad-input" | "schema";

/** A write the state does not allow (closing a closed round, an unknown site …); nothing was written. */
export class StorageError extends Error {
  override readonly name = "StorageError";
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
  }
}
