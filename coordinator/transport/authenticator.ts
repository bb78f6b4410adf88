// Turns the consortium PKI into the transport's PeerAuthenticator: CA, revocation and role checks.
import { parseSiteId } from "../../crypto/site-id.ts";
import { FederationError } from "../../proto/errors.ts";
import type { Peer } from "../../proto/rpc.ts";
import type { PeerAuthenticator } from "../../proto/transport.ts";
import { PkiError, verifyPeer, type Revocations } from "../pki/index.ts";

/**
 * Every call is checked against the revocation list as it is now (revocations.json is re-read when it
 * changes), so `fedtune pki revoke` takes effect without a restart. Each site presents the same
 * certificate on every poll: verifyPeer remembers its parse and the CA's signature on it by their
 * bytes, and checks the validity window, the revocation list and the role on each call.
 */
export function pkiAuthenticator(caPem: string, revocations: () => Revocations): PeerAuthenticator {
  return {
    authenticate(certificateDer, role): Peer {
      if (certificateDer === undefined) {
        throw new FederationError("unauthenticated", "a client certificate is required");
      }
      try {
        const identity = verifyPeer(certificateDer, caPem, revocations(), { roles: [role] });
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
