// Prometheus metrics of the coordinator (its own prom-client registry) and the HTTP server for /metrics and the probes.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { startProbeServer } from "../proto/http-probes.ts";
import type { ProbeServer, ProbeServerOptions, ReadinessCheck } from "../proto/http-probes.ts";

/**
 * The instruments the round code updates. A fresh Registry per coordinator (never prom-client's
 * global default) keeps processes and tests that run several coordinators from sharing counters.
 */
export interface CoordinatorMetrics {
  readonly registry: Registry;
  /** Round tries by kind (train|eval) and outcome (completed|abandoned). */
  readonly rounds: Counter<"kind" | "outcome">;
  /** The last completed training round. */
  readonly currentRound: Gauge;
  /** Participants picked per round try, by kind. */
  readonly participants: Counter<"kind">;
  /** Participants that dropped out or declined, by the stage they were in. */
  readonly dropouts: Counter<"stage">;
  /** Payload bytes received from / sent to sites, by rpc. */
  readonly bytes: Counter<"direction" | "rpc">;
  /** Wall time of each protocol stage, by stage. */
  readonly stageSeconds: Histogram<"stage">;
  /** Sites that have joined. */
  readonly sitesJoined: Gauge;
  /** Calls refused, by reason (the gRPC status code name: permission_denied, resource_exhausted, …). */
  readonly refusals: Counter<"reason">;
  /** Payload bytes of each finished round try, by direction. */
  readonly roundBytes: Histogram<"direction">;
  /** Wall time of each completed round, by kind. */
  readonly roundSeconds: Histogram<"kind">;
}

/** Byte buckets from a tiny test adapter (kB) to a hospital-scale model's round (tens of GB). */
const BYTE_BUCKETS = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11];

export function createCoordinatorMetrics(
  labels: { readonly federation: string; readonly privacyMode: string },
  /** Sites online now, read at each scrape. */
  sitesOnline: () => number,
): CoordinatorMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ federation: labels.federation, privacy_mode: labels.privacyMode });
  const registers = [registry];
  // Process and Node.js metrics (CPU, memory, event loop lag, GC, handles), into this registry only.
  collectDefaultMetrics({ register: registry });
  // prom-client names three gauges with a counter's "_total" suffix, which `promtool check metrics` refuses;
  // each is the sum of a per-type gauge it also exports (nodejs_active_handles{type}, …), so nothing is lost.
  for (const name of [
    "nodejs_active_handles_total",
    "nodejs_active_requests_total",
    "nodejs_active_resources_total",
  ])
    registry.removeSingleMetric(name);
  new Gauge({
    name: "fedtune_sites_online",
    help: "Sites seen within the online window",
    registers,
    collect() {
      this.set(sitesOnline());
    },
  });
  return {
    registry,
    rounds: new Counter({
      name: "fedtune_rounds_total",
      help: "Round tries finished, by kind and outcome",
      labelNames: ["kind", "outcome"],
      registers,
    }),
    currentRound: new Gauge({
      name: "fedtune_round",
      help: "Last completed training round of the run in progress (from 1; evaluation rounds take no number)",
      registers,
    }),
    participants: new Counter({
      name: "fedtune_participants_total",
      help: "Participants picked, summed over round tries",
      labelNames: ["kind"],
      registers,
    }),
    dropouts: new Counter({
      name: "fedtune_dropouts_total",
      help: "Participants that dropped out or declined, by stage",
      labelNames: ["stage"],
      registers,
    }),
    bytes: new Counter({
      name: "fedtune_bytes_total",
      help: "Payload bytes exchanged with sites",
      labelNames: ["direction", "rpc"],
      registers,
    }),
    stageSeconds: new Histogram({
      name: "fedtune_stage_duration_seconds",
      help: "Wall time of protocol stages",
      labelNames: ["stage"],
      // Stages range from key exchanges (sub-second) to local training (many minutes).
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    }),
    sitesJoined: new Gauge({ name: "fedtune_sites_joined", help: "Sites that have joined", registers }),
    refusals: new Counter({
      name: "fedtune_refused_calls_total",
      help: "Calls refused, by reason",
      labelNames: ["reason"],
      registers,
    }),
    roundBytes: new Histogram({
      name: "fedtune_round_bytes",
      help: "Payload bytes exchanged with sites per round try",
      labelNames: ["direction"],
      buckets: BYTE_BUCKETS,
      registers,
    }),
    roundSeconds: new Histogram({
      name: "fedtune_round_duration_seconds",
      help: "Wall time of completed rounds",
      labelNames: ["kind"],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    }),
  };
}

export type MetricsServer = ProbeServer;

/**
 * Serves GET /metrics from `registry`, the probes /healthz and /readyz (proto/http-probes.ts) and any
 * `more.routes` (the status page) on host:port, all but the probes behind `more.guard`; anything else is
 * 404. Resolves once listening.
 */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host = "127.0.0.1",
  readiness: ReadinessCheck = () => ({ ready: true, reason: "" }),
  more: Pick<ProbeServerOptions, "routes" | "guard"> = {},
): Promise<MetricsServer> {
  return startProbeServer({
    port,
    host,
    readiness,
    ...(more.guard === undefined ? {} : { guard: more.guard }),
    routes: {
      ...more.routes,
      "/metrics": (response) => {
        registry.metrics().then(
          (body) => response.writeHead(200, { "content-type": registry.contentType }).end(body),
          (error: unknown) =>
            response
              .writeHead(500, { "content-type": "text/plain" })
              .end(`metrics unavailable: ${String(error)}\n`),
        );
      },
    },
  });
}
