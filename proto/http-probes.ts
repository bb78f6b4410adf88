// The HTTP side door both processes open for operators: GET /healthz, GET /readyz (Kubernetes probes), plus extra routes.
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Whether the process can do its job yet (coordinator: state loaded and gRPC listening; site: joined). */
export type ReadinessCheck = () => { readonly ready: boolean; readonly reason: string };

/** Answers one GET request on a path. */
export type RouteHandler = (response: ServerResponse, request: IncomingMessage) => void;

/** Runs before every route but the probes; answers a refused request itself and returns false. */
export type RequestGuard = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface ProbeServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  readonly readiness: ReadinessCheck;
  /** Further GET routes by exact path (e.g. /metrics). */
  readonly routes?: Readonly<Record<string, RouteHandler>>;
  /** Guards the further routes; the probes stay open so that an orchestrator needs no credentials. */
  readonly guard?: RequestGuard;
}

export interface ProbeServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  stop(): Promise<void>;
}

function text(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${body}\n`);
}

/**
 * Liveness answers 200 whenever the event loop serves requests (a wedged process fails it and is
 * restarted); readiness answers 503 with the reason until the check passes, so that a Service
 * routes no traffic to, and a rollout waits for, a process that cannot serve yet.
 * https://kubernetes.io/docs/reference/using-api/health-checks/
 */
export async function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const probes: Record<string, RouteHandler> = {
    "/healthz": (response) => text(response, 200, "ok"),
    "/readyz": (response) => {
      const { ready, reason } = options.readiness();
      text(response, ready ? 200 : 503, ready ? "ready" : `not ready: ${reason}`);
    },
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "").split("?")[0] ?? "";
    const probe = Object.hasOwn(probes, path) ? probes[path] : undefined;
    if (request.method === "GET" && probe !== undefined) {
      probe(response, request);
      return;
    }
    if (options.guard !== undefined && !options.guard(request, response)) return;
    const route =
      options.routes !== undefined && Object.hasOwn(options.routes, path) ? options.routes[path] : undefined;
    if (request.method !== "GET" || route === undefined) {
      text(response, 404, "not found");
      return;
    }
    route(response, request);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}

/** A readiness flag flipped by the composition root at the moments that matter. */
export function readinessFlag(initialReason: string): ReadinessCheck & {
  set(ready: boolean, reason?: string): void;
} {
  let state = { ready: false, reason: initialReason };
  const check = (): { ready: boolean; reason: string } => state;
  return Object.assign(check, {
    set(ready: boolean, reason = ""): void {
      state = { ready, reason };
    },
  });
}
