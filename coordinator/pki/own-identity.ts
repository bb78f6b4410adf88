// Checks a process runs on its own certificate (role, CA, dates, key match) and warns before one expires.
import { createPrivateKey, createPublicKey, X509Certificate as NodeX509Certificate } from "node:crypto";
import { NO_REVOCATIONS, PkiError, verifyPeer } from "../../crypto/pki/identity.ts";
import type { PeerIdentity, Role } from "../../crypto/pki/identity.ts";

const DAY_MS = 86_400_000;
/** How early `admin status` and the site's log warn that a certificate will expire. */
export const EXPIRY_WARNING_DAYS = 30;

export interface OwnIdentityFiles {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

function spkiOf(key: ReturnType<typeof createPublicKey>): Buffer {
  return key.export({ type: "spki", format: "der" });
}

/**
 * What a coordinator or site checks before it listens or dials: the certificate is issued by the
 * consortium CA, valid now, of `role`, and the private key is its key. A mismatch found here
 * otherwise surfaces as peers that fail TLS handshakes forever with no reason given.
 */
export function checkOwnIdentity(files: OwnIdentityFiles, role: Role, now: Date = new Date()): PeerIdentity {
  const identity = verifyPeer(files.certPem, files.caPem, NO_REVOCATIONS, { roles: [role], now });
  let privateKey;
  try {
    privateKey = createPrivateKey(files.keyPem);
  } catch {
    throw new PkiError("malformed", "the private key is not a PEM key");
  }
  const certified = new NodeX509Certificate(files.certPem).publicKey;
  if (!spkiOf(createPublicKey(privateKey)).equals(spkiOf(certified))) {
    throw new PkiError(
      "key-mismatch",
      `the private key does not belong to the certificate of ${identity.name}`,
    );
  }
  return identity;
}

/** Days until `certPem` expires, rounded down (negative once expired). */
export function daysUntilExpiry(certPem: string, now: Date = new Date()): number {
  const notAfter = new Date(new NodeX509Certificate(certPem).validTo);
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

/** A sentence for the log when `certPem` expires within EXPIRY_WARNING_DAYS; undefined otherwise. */
export function expiryWarning(what: string, certPem: string, now: Date = new Date()): string | undefined {
  const days = daysUntilExpiry(certPem, now);
  if (days >= EXPIRY_WARNING_DAYS) return undefined;
  if (days < 0) return `${what}'s certificate has expired`;
  return `${what}'s certificate expires in ${days} day(s): ask the operator for \`fedtune pki renew --name …\``;
}
