// GET / (the status page) and GET /api/status (its figures as JSON) on the coordinator's HTTP server.
import type { ServerResponse } from "node:http";
import type { RouteHandler } from "../../proto/http-probes.ts";
import { renderStatusPage, STATUS_SCRIPT_CSP_HASH } from "./page.ts";
import { gatherStatus, type StatusSources } from "./snapshot.ts";

/** No caching (the figures change every round), no framing, no script but the page's own, no referrer. */
const COMMON_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};
const PAGE_HEADERS = {
  ...COMMON_HEADERS,
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": `default-src 'none'; script-src '${STATUS_SCRIPT_CSP_HASH}'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'`,
};

function failed(response: ServerResponse, error: unknown): void {
  response
    .writeHead(500, { "content-type": "text/plain; charset=utf-8" })
    .end(`status unavailable: ${String(error)}\n`);
}

export function statusRoutes(sources: StatusSources): Record<string, RouteHandler> {
  return {
    "/": (response) => {
      try {
        const page = renderStatusPage(gatherStatus(sources));
        response.writeHead(200, PAGE_HEADERS).end(page);
      } catch (error) {
        failed(response, error);
      }
    },
    "/api/status": (response) => {
      try {
        const body = JSON.stringify(gatherStatus(sources));
        response.writeHead(200, { ...COMMON_HEADERS, "content-type": "application/json" }).end(body);
      } catch (error) {
        failed(response, error);
      }
    },
  };
}
