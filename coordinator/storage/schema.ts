// The coordinator database's tables, and the records read back from them (coordinator/storage/store.ts writes them).
import { AUDIT_SCHEMA } from "./audit.ts";
import type { JsonValue } from "./canonical-json.ts";
import type { SiteId } from "../../crypto/site-id.ts";
import { RUNS_SCHEMA } from "./runs.ts";

/** 2: runs (rounds, metrics and strategy state belong to a run); storage/runs.ts migrates a version-1 store. */
export const SCHEMA_VERSION = 2;

/** Tables that carry the run id; created after the migration has rebuilt the version-1 ones. */
export const RUN_SCOPED_SCHEMA = `
  CREATE TABLE IF NOT EXISTS rounds (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    round INTEGER NOT NULL CHECK (round >= 1),
    attempt INTEGER NOT NULL CHECK (attempt >= 1),
    kind TEXT NOT NULL CHECK (kind IN ('train', 'eval')),
    status TEXT NOT NULL CHECK (status IN ('open', 'completed', 'abandoned')),
    settings TEXT NOT NULL,
    participants TEXT NOT NULL,
    checkpoint_sha256 TEXT,
    checkpoint_path TEXT,
    reason TEXT,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    UNIQUE (run_id, kind, round, attempt)
  );
  CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    round_id INTEGER NOT NULL REFERENCES rounds (id),
    site_id TEXT REFERENCES sites (site_id),
    name TEXT NOT NULL,
    value REAL NOT NULL,
    recorded_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS strategy_state (
    run_id INTEGER PRIMARY KEY REFERENCES runs (id),
    round INTEGER NOT NULL,
    state TEXT NOT NULL
  );
`;

/** Tables every version has (the version-1 ones that carry no run id are in RUN_SCOPED_SCHEMA). */
export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS sites (
    site_id TEXT PRIMARY KEY,
    cert_fingerprint TEXT NOT NULL,
    signing_public_key BLOB,
    joined_at TEXT NOT NULL,
    last_seen TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS participation (
    round_id INTEGER NOT NULL REFERENCES rounds (id),
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    stage TEXT NOT NULL,
    dropped INTEGER NOT NULL CHECK (dropped IN (0, 1)),
    reason TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (round_id, site_id)
  );
  ${RUNS_SCHEMA}
  ${AUDIT_SCHEMA}
`;

export type RoundKind = "train" | "eval";
export type RoundStatus = "open" | "completed" | "abandoned";

export interface RoundRecord {
  readonly id: number;
  readonly runId: number;
  readonly round: number;
  readonly attempt: number;
  readonly kind: RoundKind;
  readonly status: RoundStatus;
  readonly settings: JsonValue;
  readonly participants: readonly string[];
  readonly checkpointSha256: string | null;
  readonly checkpointPath: string | null;
  readonly reason: string | null;
  readonly openedAt: string;
  readonly closedAt: string | null;
}

/** A site's row in the store, with its participation counts (the service's SiteRecord is built from it). */
export interface SiteRow {
  readonly siteId: SiteId;
  readonly certFingerprint: string;
  readonly signingPublicKey: Uint8Array | null;
  readonly joinedAt: string;
  readonly lastSeen: string;
  /** Completed rounds it took part in without dropping. */
  readonly roundsContributed: number;
  /** Rounds it dropped out of or declined. */
  readonly roundsDropped: number;
}

export interface MetricRecord {
  readonly roundId: number;
  readonly siteId: SiteId | null;
  readonly name: string;
  readonly value: number;
}

/** A `rounds` row as SQLite returns it. */
export interface RoundRow {
  id: number;
  run_id: number;
  round: number;
  attempt: number;
  kind: RoundKind;
  status: RoundStatus;
  settings: string;
  participants: string;
  checkpoint_sha256: string | null;
  checkpoint_path: string | null;
  reason: string | null;
  opened_at: string;
  closed_at: string | null;
}

export function toRoundRecord(row: RoundRow): RoundRecord {
  return {
    id: row.id,
    runId: row.run_id,
    round: row.round,
    attempt: row.attempt,
    kind: row.kind,
    status: row.status,
    settings: JSON.parse(row.settings) as JsonValue,
    participants: JSON.parse(row.participants) as string[],
    checkpointSha256: row.checkpoint_sha256,
    checkpointPath: row.checkpoint_path,
    reason: row.reason,
    openedAt: row.opened_at,
    closedAt: row.closed_at,
  };
}
