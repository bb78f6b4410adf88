// The gRPC transport's client half: mutual TLS to the coordinator, a deadline on every call.
import * as grpc from "@grpc/grpc-js";
import { once } from "node:events";
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

const MAX_RECONNECT_BACKOFF_MS = 10_000;

/** Dials the coordinator over TLS, presenting this process's certificate and trusting only the CA. */
export function dialGrpc(options: DialOptions): Connection {
  const credentials = grpc.credentials.createSsl(
    Buffer.from(options.tls.caPem),
    Buffer.from(options.tls.keyPem),
    Buffer.from(options.tls.certPem),
  );
  const client = new grpc.Client(options.address, credentials, {
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    // grpc-js backs off up to 120 s between reconnects; a site should be back within seconds of a
    // coordinator restart (the site client adds its own backoff on top).
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
        const stream = client.makeClientStreamRequest(
          path,
          passThrough,
          passThrough,
          new grpc.Metadata(),
          callOptions(call),
          completion(resolve, reject, () => unlink()),
        );
        const unlink = linkSignal(stream, call);
        const pump = async (): Promise<void> => {
          for await (const request of requests) {
            if (!stream.write(request)) await once(stream, "drain");
          }
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
