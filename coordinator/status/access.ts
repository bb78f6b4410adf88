// Who may read the status page, /api/status and /metrics: anyone on a loopback bind, else an operator token.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestGuard } from "../../proto/http-probes.ts";

/** Long enough that guessing over HTTP is hopeless (e.g. `openssl rand -hex 32` gives 64). */
const MIN_TOKEN_LENGTH = 32;
export const TOKEN_COOKIE = "fedtune_status";

/** 127.0.0.0/8, ::1 and "localhost": only processes on this host can connect. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "");
  if (bare === "localhost" || bare === "::1") return true;
  return isIP(bare) === 4 && bare.startsWith("127.");
}

/** Reads the token file (surrounding whitespace trimmed); throws a message naming the file and the rule. */
export function readStatusToken(path: string): string {
  const token = readFileSync(path, "utf8").trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token))
    throw new Error(
      `statusTokenFile: ${path} must hold one token of at least ${MIN_TOKEN_LENGTH} characters without spaces`,
    );
  return token;
}

/**
 * Why the HTTP server may not start as configured, or undefined: a non-loopback bind without a token
 * would show the federation's progress to anyone who can reach the port.
 */
export function statusAccessProblem(config: {
  readonly metricsPort?: number | undefined;
  readonly metricsHost: string;
  readonly statusTokenFile?: string | undefined;
}): string | undefined {
  if (config.metricsPort === undefined) return undefined;
  if (config.statusTokenFile !== undefined) {
    try {
      readStatusToken(config.statusTokenFile);
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  }
  if (isLoopbackHost(config.metricsHost)) return undefined;
  return `metricsHost: ${config.metricsHost} is not a loopback address; set statusTokenFile (an operator token) to serve the status page and /metrics there`;
}

/** Constant-time comparison; hashing first makes the lengths equal, so a length never leaks either. */
export function tokenMatches(offered: string, token: string): boolean {
  const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(offered), digest(token));
}

function cookieValue(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

function refuse(response: ServerResponse): void {
  response
    .writeHead(401, { "content-type": "text/plain; charset=utf-8", "www-authenticate": "Bearer" })
    .end("operator token required: Authorization: Bearer <token>, or open /?token=<token> once\n");
}

/**
 * Lets a request through with `Authorization: Bearer <token>` or the cookie; `/?token=<token>` sets the
 * cookie (HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it) and redirects to
 * `/`, so the token leaves the address bar and the browser history.
 */
export function tokenGuard(token: string): RequestGuard {
  return (request, response) => {
    const bearer = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
    if (bearer !== undefined) {
      if (tokenMatches(bearer, token)) return true;
      refuse(response);
      return false;
    }
    const cookie = cookieValue(request, TOKEN_COOKIE);
    if (cookie !== undefined && tokenMatches(cookie, token)) return true;
    const url = new URL(request.url ?? "/", "http://status.invalid");
    const offered = url.searchParams.get("token");
    if (url.pathname === "/" && offered !== null && tokenMatches(offered, token)) {
      response
        .writeHead(303, {
          location: "/",
          "set-cookie": `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        })
        .end();
      return false;
    }
    refuse(response);
    return false;
  };
}
