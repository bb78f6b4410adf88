// Turns the consortium PKI into the transport's PeerAuthenticator: CA, revocation and role checks.
import { X509Certificate } from "node:crypto";
import { parseSiteId } from "../../crypto/site-id.ts";
import { FederationError } from "../../proto/errors.ts";
import type { Peer } from "../../proto/rpc.ts";
import type { PeerAuthenticator } from "../../proto/transport.ts";
import { PkiError, verifyPeer, type PeerIdentity, type Revocations } from "../pki/index.ts";

/** A certificate that passed {@link verifyPeer} once, with the window in which it and the CA are valid. */
interface Verified {
  readonly identity: PeerIdentity;
  readonly validFromMs: number;
  readonly validToMs: number;
}

type CallRole = Parameters<PeerAuthenticator["authenticate"]>[1];

/** Distinct certificates remembered; past this the memo starts over (a consortium has far fewer). */
const MAX_REMEMBERED = 10_000;

/**
 * Every call is checked against the revocation list as it is now (revocations.json is re-read when it
 * changes), so `fedtune pki revoke` takes effect without a restart.
 */
export function pkiAuthenticator(caPem: string, revocations: () => Revocations): PeerAuthenticator {
  const ca = new X509Certificate(caPem);
  // Parsing a certificate and checking the CA's signature on it cost milliseconds and depend only on
  // its bytes, yet every call (each poll of each site) presents it again. A certificate that passed the
  // full check once is remembered by its exact DER bytes; each call still checks the validity window,
  // the revocation list as it is now and the role, and anything short of a pass goes through the full
  // check, which also produces the refusal.
  const verified = new Map<string, Verified>();
  const remembered = (der: Uint8Array, role: CallRole) => {
    const entry = verified.get(Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64"));
    if (entry === undefined) return undefined;
    const now = Date.now();
    const { identity } = entry;
    const current = revocations();
    if (
      now < entry.validFromMs ||
      now > entry.validToMs ||
      identity.role !== role ||
      current.fingerprints.has(identity.fingerprint) ||
      current.serialNumbers.has(identity.serialNumber)
    )
      return undefined;
    return identity;
  };
  const verify = (der: Uint8Array, role: CallRole): PeerIdentity => {
    const identity = verifyPeer(der, caPem, revocations(), { roles: [role] });
    const peer = new X509Certificate(der);
    const validFromMs = Math.max(Date.parse(peer.validFrom), Date.parse(ca.validFrom));
    const validToMs = Math.min(Date.parse(peer.validTo), Date.parse(ca.validTo));
    if (!Number.isFinite(validFromMs) || !Number.isFinite(validToMs)) return identity;
    if (verified.size >= MAX_REMEMBERED) verified.clear();
    const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
    verified.set(key, { identity, validFromMs, validToMs });
    return identity;
  };
  return {
    authenticate(certificateDer, role): Peer {
      if (certificateDer === undefined) {
        throw new FederationError("unauthenticated", "a client certificate is required");
      }
      try {
        const identity = remembered(certificateDer, role) ?? verify(certificateDer, role);
        return { name: parseSiteId(identity.name), role: identity.role, fingerprint: identity.fingerprint };
      } catch (error) {
        if (error instanceof PkiError) {
          // The caller learns why its own certificate was refused, nothing more.
          const code = error.code === "wrong-role" ? "permission_denied" : "unauthenticated";
          throw new FederationError(code, `certificate refused: ${error.code}`, error.message);
        }
        throw error;
      }
    },
  };
}
