// Prometheus metrics of the coordinator (its own prom-client registry) and the HTTP server for /metrics and the probes.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { startProbeServer } from "../proto/http-probes.ts";
import type { ProbeServer, ReadinessCheck } from "../proto/http-probes.ts";

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
}

export function createCoordinatorMetrics(labels: {
  readonly federation: string;
  readonly privacyMode: string;
}): CoordinatorMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ federation: labels.federation, privacy_mode: labels.privacyMode });
  const registers = [registry];
  return {
    registry,
    rounds: new Counter({
      name: "fedtune_rounds_total",
      help: "Round tries finished, by kind and outcome",
      labelNames: ["kind", "outcome"],
      registers,
    }),
    currentRound: new Gauge({ name: "fedtune_round", help: "Last completed training round", registers }),
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
  };
}

export type MetricsServer = ProbeServer;

/**
 * Serves GET /metrics from `registry`, and the probes /healthz and /readyz (proto/http-probes.ts), on
 * host:port; anything else is 404. Resolves once listening.
 */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host = "127.0.0.1",
  readiness: ReadinessCheck = () => ({ ready: true, reason: "" }),
): Promise<MetricsServer> {
  return startProbeServer({
    port,
    host,
    readiness,
    routes: {
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
