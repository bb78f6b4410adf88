// The in-memory transport's server half: the same ServerEdge as gRPC, reached through an InMemoryNetwork.
import { certificateOf } from "../../crypto/pki/identity.ts";
import { loadFedtunePackage } from "../../proto/load.ts";
import type { InMemoryNetwork, ServeOptions, ServerHandle } from "../../proto/transport.ts";
import { FederationError } from "../../proto/errors.ts";
import { ServerEdge, bindMethods, type BoundMethod } from "./edge.ts";

/**
 * Registers a server on the network under `memory://<listen>`. The caller's certificate must chain to
 * the CA in options.tls, as the TLS handshake would demand, before the edge sees it.
 */
export function serveInMemory(network: InMemoryNetwork): (options: ServeOptions) => Promise<ServerHandle> {
  return async (options) => {
    const methods = bindMethods(loadFedtunePackage(), options);
    const edge = new ServerEdge(options.authenticator, options.onCallError);
    const ca = certificateOf(options.tls.caPem);
    const address = `memory://${options.listen}`;
    if (network.endpoints.has(address)) throw new Error(`${address} is already in use`);
    const lookup = (path: string): BoundMethod => {
      const method = methods.get(path);
      if (method === undefined) throw new FederationError("not_found", "unknown method");
      return method;
    };
    // The handshake: a certificate not issued by the CA never reaches the edge (mirrors createSsl(…, true)).
    // TLS shakes hands once per connection, while this runs per call: certificateOf remembers parses by
    // their bytes, so that parsing does not dominate rounds with many sites.
    const handshake = (der: Uint8Array): Uint8Array => {
      try {
        if (certificateOf(der).checkIssued(ca)) return der;
      } catch {
        // Unparseable certificates are refused like unknown ones.
      }
      throw new FederationError("unavailable", "TLS handshake failed");
    };
    network.endpoints.set(address, {
      unary: (path, der, request, signal) => edge.unary(lookup(path), handshake(der), request, signal),
      serverStream: (path, der, request, signal) =>
        edge.serverStream(lookup(path), handshake(der), request, signal),
      clientStream: (path, der, requests, signal) =>
        edge.clientStream(lookup(path), handshake(der), requests, signal),
    });
    await Promise.resolve();
    return {
      address,
      close: () => {
        network.endpoints.delete(address);
        return Promise.resolve();
      },
    };
  };
}
