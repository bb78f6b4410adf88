// Typed federation errors and the one table that maps them to gRPC status codes and public messages.

/** What went wrong, in the caller's terms; each code maps to exactly one gRPC status. */
export type FederationErrorCode =
  | "invalid_argument"
  | "failed_precondition"
  | "unauthenticated"
  | "permission_denied"
  | "not_found"
  | "already_exists"
  | "resource_exhausted"
  | "deadline_exceeded"
  | "unavailable"
  | "cancelled"
  | "internal";

/**
 * gRPC status numbers (grpc/doc/statuscodes.md), kept here rather than imported so that only the
 * transport files depend on @grpc/grpc-js.
 */
export const GRPC_STATUS: Readonly<Record<FederationErrorCode, number>> = {
  cancelled: 1,
  invalid_argument: 3,
  deadline_exceeded: 4,
  not_found: 5,
  already_exists: 6,
  permission_denied: 7,
  resource_exhausted: 8,
  failed_precondition: 9,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
};

/**
 * An error that crosses the wire. `publicMessage` is all the peer sees: callers build it from
 * constants and field names only, never from key material, tensors or another site's identity.
 * `detail` stays in the local log.
 */
export class FederationError extends Error {
  override readonly name = "FederationError";
  constructor(
    readonly code: FederationErrorCode,
    readonly publicMessage: string,
    readonly detail?: string,
  ) {
    super(detail === undefined ? publicMessage : `${publicMessage} (${detail})`);
  }
}

/** An out-of-phase message (STYLE.md item 4): names the stage expected and the one received. */
export class OutOfPhaseError extends FederationError {
  constructor(
    readonly expected: string,
    readonly received: string,
  ) {
    super("failed_precondition", `expected ${expected}, received ${received}`);
  }
}

const BY_STATUS = new Map<number, FederationErrorCode>(
  Object.entries(GRPC_STATUS).map(([code, status]) => [status, code as FederationErrorCode]),
);

/** The error code for a gRPC status number; unknown statuses read as "internal". */
export function codeForGrpcStatus(status: number): FederationErrorCode {
  return BY_STATUS.get(status) ?? "internal";
}

/** Public message for errors that are not FederationErrors: nothing about them leaves the process. */
const INTERNAL_PUBLIC_MESSAGE = "internal error";

/** Wraps any thrown value as a FederationError, hiding the details of unexpected ones. */
export function asFederationError(error: unknown): FederationError {
  if (error instanceof FederationError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new FederationError("internal", INTERNAL_PUBLIC_MESSAGE, detail);
}
