// The gRPC transport's server half: mutual TLS under the consortium CA, every call through ServerEdge.
import * as grpc from "@grpc/grpc-js";
import { FederationError, GRPC_STATUS, asFederationError } from "../../proto/errors.ts";
import { MAX_MESSAGE_BYTES } from "../../proto/limits.ts";
import { loadFedtunePackage } from "../../proto/load.ts";
import type { ServeOptions, ServerHandle } from "../../proto/transport.ts";
import { ServerEdge, bindMethods, type BoundMethod } from "./edge.ts";

const passThrough = (value: Buffer): Buffer => value;

/** The peer's certificate as TLS presented it; undefined when the channel is not TLS (refused). */
function peerCertificate(call: {
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null;
}): Uint8Array | undefined {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  return raw === undefined || raw.length === 0 ? undefined : new Uint8Array(raw);
}

function toStatus(error: FederationError): Partial<grpc.StatusObject> {
  return { code: GRPC_STATUS[error.code], details: error.publicMessage };
}

interface SurfaceCall {
  on(event: "cancelled", listener: () => void): unknown;
  off(event: "cancelled", listener: () => void): unknown;
  getDeadline(): grpc.Deadline;
}

/** An AbortSignal that fires when the call is cancelled or its deadline passes. */
function callSignal(call: SurfaceCall): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort(new FederationError("cancelled", "call cancelled"));
  call.on("cancelled", abort);
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  const timer = Number.isFinite(at) && at > 0 ? setTimeout(abort, Math.max(0, at - Date.now())) : undefined;
  return {
    signal: controller.signal,
    done: () => {
      if (timer !== undefined) clearTimeout(timer);
      call.off("cancelled", abort);
    },
  };
}

/** Answers a unary or client-stream call exactly once, with the edge's response or its error's status. */
function answer(pending: Promise<Buffer>, done: () => void, callback: grpc.sendUnaryData<Buffer>): void {
  pending.then(
    (response) => {
      done();
      callback(null, response);
    },
    (error: unknown) => {
      done();
      callback(toStatus(asFederationError(error)));
    },
  );
}

function implement(edge: ServerEdge, method: BoundMethod): grpc.UntypedHandleCall {
  switch (method.kind) {
    case "unary":
      return (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const { signal, done } = callSignal(call);
        answer(edge.unary(method, peerCertificate(call), call.request, signal), done, callback);
      };
    case "serverStream":
      return (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        const { signal, done } = callSignal(call);
        const run = async (): Promise<void> => {
          for await (const chunk of edge.serverStream(method, peerCertificate(call), call.request, signal)) {
            if (signal.aborted) return;
            // One message in flight per stream: the next chunk is produced only once this one went out
            // under HTTP/2 flow control (an object-mode stream would otherwise queue 16 messages, and a
            // slow reader would leave whole adapters sitting in the coordinator's memory).
            await new Promise<void>((resolve, reject) => {
              const onAbort = (): void => reject(new FederationError("cancelled", "call cancelled"));
              signal.addEventListener("abort", onAbort, { once: true });
              call.write(chunk, (error: Error | null | undefined) => {
                signal.removeEventListener("abort", onAbort);
                if (error) reject(error);
                else resolve();
              });
            });
          }
          call.end();
        };
        run().then(done, (error: unknown) => {
          done();
          if (!signal.aborted) call.emit("error", toStatus(asFederationError(error)));
        });
      };
    case "clientStream":
      return (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        const { signal, done } = callSignal(call);
        answer(
          edge.clientStream(method, peerCertificate(call), call as AsyncIterable<Buffer>, signal),
          done,
          callback,
        );
      };
  }
}

/** Starts the gRPC server; it accepts only TLS clients whose certificate chains to the consortium CA. */
export async function serveGrpc(options: ServeOptions): Promise<ServerHandle> {
  const pkg = loadFedtunePackage();
  const methods = bindMethods(pkg, options);
  const edge = new ServerEdge(options.authenticator, options.onCallError);
  const server = new grpc.Server({
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  });
  const byService = new Map<string, BoundMethod[]>();
  for (const method of methods.values()) {
    byService.set(method.service, [...(byService.get(method.service) ?? []), method]);
  }
  for (const list of byService.values()) {
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const method of list) {
      definition[method.rpc] = {
        path: method.path,
        requestStream: method.kind === "clientStream",
        responseStream: method.kind === "serverStream",
        // Bytes pass through untouched: ServerEdge decodes them itself so that malformed protobuf is
        // INVALID_ARGUMENT rather than grpc-js's INTERNAL.
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: passThrough,
        responseDeserialize: passThrough,
      };
      implementation[method.rpc] = implement(edge, method);
    }
    server.addService(definition, implementation);
  }
  // checkClientCertificate: the TLS handshake itself refuses clients without a CA-signed certificate.
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(options.tls.caPem),
    [{ private_key: Buffer.from(options.tls.keyPem), cert_chain: Buffer.from(options.tls.certPem) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(options.listen, credentials, (error, boundPort) => {
      if (error === null) return resolve(boundPort);
      // An unbound server still holds its handlers and timers: release it so the process can exit.
      server.forceShutdown();
      reject(error);
    });
  });
  const host = options.listen.slice(0, options.listen.lastIndexOf(":"));
  // Dial loopback by name: TLS (RFC 6066) forbids an IP address as the server name.
  const dialHost = host === "127.0.0.1" || host === "0.0.0.0" ? "localhost" : host;
  return {
    address: `${dialHost}:${port}`,
    // Graceful first, so answers already written (e.g. "finished") reach their sites; long polls
    // still open after a second are cut.
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
