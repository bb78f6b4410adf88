// The gRPC transport's client half: mutual TLS to the coordinator, a deadline on every call.
import { isIP } from "node:net";
import { checkServerIdentity } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { FederationError, codeForGrpcStatus } from "../../proto/errors.ts";
import { MAX_MESSAGE_BYTES } from "../../proto/limits.ts";
import type { CallOptions } from "../../proto/rpc.ts";
import type { Connection, DialOptions } from "../../proto/transport.ts";
import { connectionOver } from "./edge.ts";

const passThrough = (value: Buffer): Buffer => value;

function toFederationError(error: unknown): FederationError {
  if (error instanceof FederationError) return error;
  const status = (error as Partial<grpc.ServiceError>).code;
  const details = (error as Partial<grpc.ServiceError>).details;
  if (typeof status === "number") {
    return new FederationError(codeForGrpcStatus(status), details ?? grpc.status[status] ?? "error");
  }
  return new FederationError("unavailable", error instanceof Error ? error.message : String(error));
}

function callOptions(options: CallOptions): grpc.CallOptions {
  return { deadline: Date.now() + options.deadlineMs };
}

/** Cancels the call when the caller's signal aborts. */
function linkSignal(call: { cancel(): void }, options: CallOptions): () => void {
  const signal = options.signal;
  if (signal === undefined) return () => undefined;
  const cancel = (): void => call.cancel();
  if (signal.aborted) cancel();
  signal.addEventListener("abort", cancel, { once: true });
  return () => signal.removeEventListener("abort", cancel);
}

/** The grpc-js callback of a call with one response: settles the caller's promise after `cleanup`. */
function completion(
  resolve: (response: Buffer) => void,
  reject: (error: FederationError) => void,
  cleanup: () => void,
): grpc.requestCallback<Buffer> {
  return (error, response) => {
    cleanup();
    if (error || response === undefined) reject(toFederationError(error));
    else resolve(response);
  };
}

const MAX_RECONNECT_BACKOFF_MS = 1_000;
/** The TLS server name sent when the coordinator is dialled by IP address (never checked against anything). */
const IP_SERVER_NAME = "fedtune-coordinator";

/** The host of "host:port" or "[v6]:port". */
function hostOf(address: string): string {
  const host = address.slice(0, address.lastIndexOf(":"));
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}
/** Messages of a client stream written but not yet handed to HTTP/2 (a few MiB of chunks). */
const QUEUED_MESSAGES = 4;

/** Dials the coordinator over TLS, presenting this process's certificate and trusting only the CA. */
export function dialGrpc(options: DialOptions): Connection {
  const host = hostOf(options.address);
  // grpc-js sends the dialled host as the TLS server name, and Node warns (DEP0123) when that is an IP
  // address (RFC 6066 forbids it): dialling an IP sends a placeholder name instead, and the certificate
  // is still checked against the IP address itself.
  const dialsIp = isIP(host) !== 0;
  const credentials = grpc.credentials.createSsl(
    Buffer.from(options.tls.caPem),
    Buffer.from(options.tls.keyPem),
    Buffer.from(options.tls.certPem),
    dialsIp ? { checkServerIdentity: (_name, certificate) => checkServerIdentity(host, certificate) } : {},
  );
  const client = new grpc.Client(options.address, credentials, {
    ...(dialsIp
      ? { "grpc.ssl_target_name_override": IP_SERVER_NAME, "grpc.default_authority": options.address }
      : {}),
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    // grpc-js backs off up to 120 s between reconnects; a site should be back within a second of a
    // coordinator restart (the site client's own backoff is capped at the same second).
    "grpc.max_reconnect_backoff_ms": MAX_RECONNECT_BACKOFF_MS,
  });
  return connectionOver({
    unary: (path, request, call) =>
      new Promise((resolve, reject) => {
        const handle = client.makeUnaryRequest(
          path,
          passThrough,
          passThrough,
          request,
          new grpc.Metadata(),
          callOptions(call),
          completion(resolve, reject, () => unlink()),
        );
        const unlink = linkSignal(handle, call);
      }),
    serverStream: async function* (path, request, call) {
      const stream = client.makeServerStreamRequest(
        path,
        passThrough,
        passThrough,
        request,
        new grpc.Metadata(),
        callOptions(call),
      );
      const unlink = linkSignal(stream, call);
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) yield chunk;
      } catch (error) {
        throw toFederationError(error);
      } finally {
        unlink();
        stream.cancel();
      }
    },
    clientStream: (path, requests, call) =>
      new Promise((resolve, reject) => {
        let callEnded = (): void => undefined;
        const ended = new Promise<void>((resolveEnded) => (callEnded = resolveEnded));
        const stream = client.makeClientStreamRequest(
          path,
          passThrough,
          passThrough,
          new grpc.Metadata(),
          callOptions(call),
          completion(resolve, reject, () => {
            callEnded();
            unlink();
          }),
        );
        const unlink = linkSignal(stream, call);
        // At most QUEUED_MESSAGES wait in the stream. The writable side would take 16 (32 MiB of chunks)
        // before asking for a drain, and a lazily produced upload (an he site encrypting as it sends)
        // should be produced about as fast as HTTP/2 flow control lets it out, not all ahead of it.
        const pump = async (): Promise<void> => {
          const queued: Promise<void>[] = [];
          for await (const request of requests) {
            // The write callback runs once the message is handed to HTTP/2 (or with an error, which
            // reaches the caller through the call's own callback; `ended` covers a callback never made).
            queued.push(new Promise<void>((resolveWritten) => stream.write(request, () => resolveWritten())));
            if (queued.length >= QUEUED_MESSAGES) await Promise.race([queued.shift(), ended]);
          }
          await Promise.race([Promise.all(queued), ended]);
          stream.end();
        };
        pump().catch((error: unknown) => {
          stream.cancel();
          unlink();
          reject(toFederationError(error));
        });
      }),
    close: () => client.close(),
  });
}
