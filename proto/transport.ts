// The transport interface: how the coordinator serves and a site dials, whatever carries the bytes.
import type { AdminHandlers, AdminStub, FederationHandlers, FederationStub, Peer } from "./rpc.ts";

/** PEM material for mutual TLS under the consortium CA. */
export interface TlsIdentity {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * Decides who a caller is from its certificate (DER) before any handler runs, and refuses unknown,
 * revoked and wrong-role certificates with a FederationError (unauthenticated / permission_denied).
 */
export interface PeerAuthenticator {
  authenticate(certificateDer: Uint8Array | undefined, role: "site" | "admin"): Peer;
}

/** Called once per failed call with the full (local-only) error; the peer gets only the public part. */
export type CallErrorListener = (method: string, peer: string | undefined, error: unknown) => void;

export interface ServeOptions {
  /** host:port to listen on; port 0 picks a free one. */
  readonly listen: string;
  readonly tls: TlsIdentity;
  readonly authenticator: PeerAuthenticator;
  readonly federation: FederationHandlers;
  readonly admin: AdminHandlers;
  readonly onCallError?: CallErrorListener;
}

export interface ServerHandle {
  /** What a client dials to reach this server. */
  readonly address: string;
  /** Stops accepting calls and cancels those in flight. */
  close(): Promise<void>;
}

export interface DialOptions {
  readonly address: string;
  readonly tls: TlsIdentity;
}

export interface Connection {
  readonly federation: FederationStub;
  readonly admin: AdminStub;
  /** Serialized message bytes sent and received so far (what the benchmark reports per site). */
  traffic(): { readonly sentBytes: number; readonly receivedBytes: number };
  close(): void;
}

/** The server half of a transport (coordinator/transport/). */
export type ServeFunction = (options: ServeOptions) => Promise<ServerHandle>;
/** The client half of a transport (client/transport/). */
export type DialFunction = (options: DialOptions) => Connection;

/**
 * What the in-memory transport moves instead of HTTP/2 frames: serialized protobuf messages, so that
 * the in-memory path decodes and validates exactly what the gRPC path does. Errors are
 * FederationErrors carrying only their public message.
 */
export interface InMemoryEndpoint {
  unary(
    path: string,
    certificateDer: Uint8Array,
    request: Uint8Array,
    signal: AbortSignal,
  ): Promise<Uint8Array>;
  serverStream(
    path: string,
    certificateDer: Uint8Array,
    request: Uint8Array,
    signal: AbortSignal,
  ): AsyncIterable<Uint8Array>;
  clientStream(
    path: string,
    certificateDer: Uint8Array,
    requests: AsyncIterable<Uint8Array>,
    signal: AbortSignal,
  ): Promise<Uint8Array>;
}

/** Addresses → endpoints for one process; created by whoever composes both halves (the simulation). */
export interface InMemoryNetwork {
  readonly endpoints: Map<string, InMemoryEndpoint>;
}

export function createInMemoryNetwork(): InMemoryNetwork {
  return { endpoints: new Map() };
}
