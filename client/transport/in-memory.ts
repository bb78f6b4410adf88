// The in-memory transport's client half: the same stubs as gRPC over an InMemoryNetwork endpoint.
import { X509Certificate } from "node:crypto";
import { FederationError } from "../../proto/errors.ts";
import type { CallOptions } from "../../proto/rpc.ts";
import type { Connection, DialOptions, InMemoryEndpoint, InMemoryNetwork } from "../../proto/transport.ts";
import { connectionOver } from "./edge.ts";

function callSignal(options: CallOptions): AbortSignal {
  const deadline = AbortSignal.timeout(options.deadlineMs);
  return options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
}

function abortError(signal: AbortSignal): FederationError {
  return signal.reason instanceof DOMException && signal.reason.name === "TimeoutError"
    ? new FederationError("deadline_exceeded", "deadline exceeded")
    : new FederationError("cancelled", "call cancelled");
}

/** Settles with the call, or rejects as DEADLINE_EXCEEDED / CANCELLED when the signal fires first. */
function race<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error instanceof FederationError ? error : new FederationError("internal", "internal error"));
      },
    );
  });
}

/** Dials `memory://…` on the network, presenting the certificate in options.tls. */
export function dialInMemory(network: InMemoryNetwork): (options: DialOptions) => Connection {
  return (options) => {
    const certificateDer = new Uint8Array(new X509Certificate(options.tls.certPem).raw);
    const endpoint = (): InMemoryEndpoint => {
      const found = network.endpoints.get(options.address);
      if (found === undefined) throw new FederationError("unavailable", `no server at ${options.address}`);
      return found;
    };
    return connectionOver({
      unary: (path, request, call) => {
        const signal = callSignal(call);
        return race(
          Promise.resolve().then(() => endpoint().unary(path, certificateDer, request, signal)),
          signal,
        );
      },
      serverStream: async function* (path, request, call) {
        const signal = callSignal(call);
        const stream = endpoint().serverStream(path, certificateDer, request, signal);
        const iterator = stream[Symbol.asyncIterator]();
        try {
          for (;;) {
            const next = await race(iterator.next(), signal);
            if (next.done === true) return;
            yield next.value;
          }
        } finally {
          await iterator.return?.();
        }
      },
      clientStream: (path, requests, call) => {
        const signal = callSignal(call);
        return race(
          Promise.resolve().then(() => endpoint().clientStream(path, certificateDer, requests, signal)),
          signal,
        );
      },
      close: () => undefined,
    });
  };
}
