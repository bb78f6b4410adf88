// Where things live inside the fedtune container: the mount paths and ports the manifests and the configs agree on.

/** Ports of the containers; the Service exposes the coordinator's two. */
export const PORTS = {
  /** The coordinator's gRPC (mutual TLS) port. */
  grpc: 50051,
  /** The coordinator's HTTP port: the status page and /metrics (both need the operator token), /healthz, /readyz. */
  coordinatorHttp: 9090,
  /** A site client's HTTP port: /healthz, /readyz. */
  siteHttp: 8081,
} as const;

/** Read-only mounts (ConfigMaps, Secrets) and the writable volumes; the root filesystem stays read-only. */
export const MOUNTS = {
  /** The role's config file (ConfigMap). */
  config: "/etc/fedtune/config",
  /** ca.crt, tls.crt, tls.key (Secret of type kubernetes.io/tls). */
  tls: "/etc/fedtune/tls",
  /** The coordinator's operator token for its status page and /metrics (Secret). */
  statusToken: "/etc/fedtune/status-token",
  /** A site's records (ConfigMap in a simulation; a hospital mounts its own volume). */
  data: "/etc/fedtune/data",
  /** State that must survive a restart: the coordinator's SQLite and checkpoints, a site's keys and ledger. */
  state: "/var/lib/fedtune",
  /** Scratch (emptyDir): tsx's transform cache and other temporary files. */
  tmp: "/tmp",
} as const;

export const CONFIG_FILES = {
  coordinator: `${MOUNTS.config}/coordinator.yaml`,
  site: `${MOUNTS.config}/site.yaml`,
} as const;

/** The file names a kubernetes.io/tls Secret holds (ca.crt beside the two standard keys). */
export const TLS_FILES = { caCert: "ca.crt", cert: "tls.crt", key: "tls.key" } as const;

/** The file the operator token Secret holds. */
export const STATUS_TOKEN_FILE = "token";

export const DATA_FILES = { train: "train.jsonl", validation: "validation.jsonl" } as const;

/** The image's entry point (deploy/entrypoint.sh) and the arguments that pick a role. */
export const ENTRYPOINT = "/app/deploy/entrypoint.sh";
export type Role = "coordinator" | "site";
export function entrypointArgs(role: Role): string[] {
  return [role, CONFIG_FILES[role]];
}

/** The unprivileged user the image runs as (deploy/Dockerfile). */
export const RUN_AS_USER = 10001;
