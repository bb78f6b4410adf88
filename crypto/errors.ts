// Typed errors of crypto/: a code for the gRPC edge's translation table (STYLE.md item 8), stage details for protocol refusals.

/** Why a protocol message or a stage transition was refused. */
export type ProtocolErrorCode =
  | "wrong-stage" // message kind does not belong to the current stage
  | "wrong-round" // message names another round
  | "duplicate" // a second message of this kind from the same site (replay)
  | "malformed" // wrong lengths, missing or extra fields, wrong types
  | "unknown-site" // sender or named site is not on the roster / not a neighbour / not expected
  | "bad-signature" // an Ed25519 signature does not verify
  | "decryption-failed" // an encrypted share does not open
  | "too-few-sites" // fewer than `threshold` sites left at some stage: a refusal, never a wrong sum
  | "forbidden-share" // a share that would reveal both secrets of one site
  | "incomplete-input" // a site's masked input was only partly received
  | "reconstruction-failed"; // reconstructed secret does not match its advertised public key

/** Base class: every error thrown on purpose by crypto/ carries a stable machine-readable code. */
export class CryptoError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Parameters that could give a wrong result (overflowing codec, threshold above the share count, …). */
export class ParameterError extends CryptoError {
  constructor(message: string) {
    super("invalid-parameters", message);
  }
}

/** Refusal of a protocol message or transition; the state it was applied to is unchanged. */
export class ProtocolError extends CryptoError {
  declare readonly code: ProtocolErrorCode;
  readonly expectedStage: string | undefined;
  readonly receivedStage: string | undefined;
  /** Site the refusal concerns, for logs only: the gRPC edge must not echo it to other sites. */
  readonly siteId: string | undefined;
  constructor(
    code: ProtocolErrorCode,
    message: string,
    details: { expectedStage?: string; receivedStage?: string; siteId?: string } = {},
  ) {
    super(code, message);
    this.expectedStage = details.expectedStage;
    this.receivedStage = details.receivedStage;
    this.siteId = details.siteId;
  }
}
