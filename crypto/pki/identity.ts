// Who a peer is, read from its certificate, and whether the consortium CA vouches for it right now.
// Pure (no I/O), so both the coordinator (TLS peers) and a site (its peers' certified keys) use it.
import { createHash, X509Certificate as NodeX509Certificate } from "node:crypto";
import * as x509 from "./x509.ts";

export const ROLES = ["coordinator", "site", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** The scheme of the URI SAN that names a peer: `fedtune://<role>/<name>`. */
const IDENTITY_URI_SCHEME = "fedtune:";

/** Names become file names and URI path segments, so they are kept to a safe alphabet. */
export const IDENTITY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface PeerIdentity {
  readonly name: string;
  readonly role: Role;
  /** SHA-256 of the certificate's DER encoding, lowercase hex. */
  readonly fingerprint: string;
  /** Uppercase hex without leading zeros (see normaliseSerialNumber). */
  readonly serialNumber: string;
}

export interface Revocations {
  readonly fingerprints: ReadonlySet<string>;
  readonly serialNumbers: ReadonlySet<string>;
}

export const NO_REVOCATIONS: Revocations = { fingerprints: new Set(), serialNumbers: new Set() };

export type PkiErrorCode =
  | "malformed"
  | "unknown-ca"
  | "expired"
  | "revoked"
  | "wrong-role"
  | "key-mismatch"
  | "invalid-name"
  | "exists"
  | "not-found"
  | "wrong-site"
  | "bad-signature"
  | "stale";

/** A refused certificate or PKI operation; `code` is what the gRPC edge translates. */
export class PkiError extends Error {
  override readonly name = "PkiError";
  constructor(
    readonly code: PkiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Refuses a name outside {@link IDENTITY_NAME_PATTERN} before anything is read or written. */
export function checkIdentityName(name: string): void {
  if (!IDENTITY_NAME_PATTERN.test(name)) {
    throw new PkiError(
      "invalid-name",
      `name "${name}" must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
}

export type CertificateInput = string | Uint8Array;

function toDer(cert: CertificateInput): Uint8Array {
  if (typeof cert !== "string") return cert;
  try {
    return new Uint8Array(x509.PemConverter.decodeFirst(cert));
  } catch {
    throw new PkiError("malformed", "certificate is not valid PEM");
  }
}

/**
 * Parsing a certificate costs about a millisecond and depends only on its bytes, yet a site checks
 * its neighbours' certificates every round and a simulation hosts hundreds of sites. Parses (and
 * passed issuer checks) are remembered by exact bytes; every check that depends on anything else
 * (the time, the revocation list, the role wanted) runs on each call. Past MAX_REMEMBERED distinct
 * entries the memo starts over (a consortium has far fewer certificates).
 */
const MAX_REMEMBERED = 10_000;
const remembered = new Map<string, NodeX509Certificate | PeerIdentity | true>();

function memoKey(kind: string, ...certs: CertificateInput[]): string {
  const keys = certs.map((cert) =>
    typeof cert === "string"
      ? cert
      : Buffer.from(cert.buffer, cert.byteOffset, cert.byteLength).toString("base64"),
  );
  return [kind, ...keys].join("\n");
}

function remember<T extends NodeX509Certificate | PeerIdentity | true>(key: string, compute: () => T): T {
  const known = remembered.get(key);
  if (known !== undefined) return known as T;
  const value = compute();
  if (remembered.size >= MAX_REMEMBERED) remembered.clear();
  remembered.set(key, value);
  return value;
}

/** node:crypto's view of a certificate (remembered); PkiError "malformed" when it cannot be parsed. */
export function certificateOf(cert: CertificateInput): NodeX509Certificate {
  return remember(memoKey("x509", cert), () => {
    try {
      return new NodeX509Certificate(toDer(cert));
    } catch (error) {
      if (error instanceof PkiError) throw error;
      throw new PkiError("malformed", "certificate cannot be parsed");
    }
  });
}

export function certificateFingerprint(cert: CertificateInput): string {
  return createHash("sha256").update(toDer(cert)).digest("hex");
}

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * Reads a fedtune identity from a certificate: the name is the CN, the role the OU, and the URI
 * SAN `fedtune://<role>/<name>` must agree with both (a certificate whose fields disagree was not
 * issued by `fedtune pki issue` and is refused as malformed). Does not check the signature.
 */
export function parsePeerIdentity(cert: CertificateInput): PeerIdentity {
  return remember(memoKey("identity", cert), () => readPeerIdentity(cert));
}

function readPeerIdentity(cert: CertificateInput): PeerIdentity {
  const der = toDer(cert);
  let parsed: x509.X509Certificate;
  try {
    parsed = new x509.X509Certificate(der);
  } catch {
    throw new PkiError("malformed", "certificate cannot be parsed");
  }
  const [name, ...extraNames] = parsed.subjectName.getField("CN");
  const [role, ...extraRoles] = parsed.subjectName.getField("OU");
  if (name === undefined || extraNames.length > 0 || !IDENTITY_NAME_PATTERN.test(name)) {
    throw new PkiError("malformed", "certificate has no single valid CN naming the peer");
  }
  if (role === undefined || extraRoles.length > 0 || !isRole(role)) {
    throw new PkiError("malformed", `certificate of ${name} has no single OU naming a role`);
  }
  const uris =
    parsed
      .getExtension(x509.SubjectAlternativeNameExtension)
      ?.names.items.filter((item) => item.type === "url")
      .map((item) => item.value)
      .filter((uri) => uri.startsWith(IDENTITY_URI_SCHEME)) ?? [];
  if (uris.length !== 1 || uris[0] !== identityUri(role, name)) {
    throw new PkiError("malformed", `certificate of ${name} lacks the URI SAN ${identityUri(role, name)}`);
  }
  return {
    name,
    role,
    fingerprint: createHash("sha256").update(der).digest("hex"),
    serialNumber: normaliseSerialNumber(parsed.serialNumber),
  };
}

/** Uppercase hex without leading zeros, so serials from every parser compare equal. */
export function normaliseSerialNumber(hex: string): string {
  return hex.replace(/^0+(?=.)/, "").toUpperCase();
}

export function identityUri(role: Role, name: string): string {
  return `${IDENTITY_URI_SCHEME}//${role}/${name}`;
}

export interface VerifyPeerOptions {
  /** Roles allowed for this call; omitted means any role. */
  readonly roles?: readonly Role[];
  /** The instant at which validity is judged (tests); defaults to now. */
  readonly now?: Date;
}

/**
 * Checks a peer certificate against the consortium CA and the revocation list and returns its
 * identity. Order: parse, issuer signature, validity window, revocation, role, so the error names
 * the most basic failure. Synchronous (node:crypto) so a gRPC handler can call it before anything else.
 */
export function verifyPeer(
  cert: CertificateInput,
  caCert: CertificateInput,
  revocations: Revocations,
  options: VerifyPeerOptions = {},
): PeerIdentity {
  const identity = parsePeerIdentity(cert);
  const peer = certificateOf(cert);
  const ca = certificateOf(caCert);
  remember(memoKey("issued", cert, caCert), () => {
    if (!peer.checkIssued(ca) || !peer.verify(ca.publicKey)) {
      throw new PkiError("unknown-ca", `certificate of ${identity.name} is not issued by the consortium CA`);
    }
    return true;
  });
  const now = options.now ?? new Date();
  if (now < new Date(peer.validFrom) || now > new Date(peer.validTo)) {
    throw new PkiError("expired", `certificate of ${identity.name} is outside its validity period`);
  }
  if (now < new Date(ca.validFrom) || now > new Date(ca.validTo)) {
    throw new PkiError("expired", "the consortium CA certificate is outside its validity period");
  }
  if (
    revocations.fingerprints.has(identity.fingerprint) ||
    revocations.serialNumbers.has(identity.serialNumber)
  ) {
    throw new PkiError("revoked", `certificate of ${identity.name} has been revoked`);
  }
  if (options.roles !== undefined && !options.roles.includes(identity.role)) {
    throw new PkiError(
      "wrong-role",
      `${identity.name} has role ${identity.role}; this call needs ${options.roles.join(" or ")}`,
    );
  }
  return identity;
}
