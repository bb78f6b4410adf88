// Runs: one federation's settings and lifecycle (queued → running → finished/aborted/failed), and the
// migration of a version-1 store, whose rounds become run 1.
import type { Database } from "better-sqlite3";
import { appendAudit } from "./audit.ts";
import { canonicalJson, type JsonValue } from "./canonical-json.ts";
import { StorageError } from "./errors.ts";

export const RUNS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    settings TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'finished', 'aborted', 'failed')),
    reason TEXT,
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT
  );
`;

export type RunState = "queued" | "running" | "finished" | "aborted" | "failed";

export interface RunRecord {
  readonly id: number;
  /** The run's federation settings as submitted; null for a run migrated from a version-1 store (see below). */
  readonly settings: JsonValue | null;
  readonly state: RunState;
  readonly reason: string | null;
  readonly submittedBy: string;
  readonly submittedAt: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
}

interface RunRow {
  id: number;
  settings: string | null;
  state: RunState;
  reason: string | null;
  submitted_by: string;
  submitted_at: string;
  started_at: string | null;
  ended_at: string | null;
}

/** Which state a run may move to from which: one at a time, never back. */
const NEXT_STATES: Readonly<Record<RunState, readonly RunState[]>> = {
  queued: ["running", "aborted"],
  running: ["finished", "aborted", "failed"],
  finished: [],
  aborted: [],
  failed: [],
};

const toRunRecord = (row: RunRow): RunRecord => ({
  id: row.id,
  settings: row.settings === null ? null : (JSON.parse(row.settings) as JsonValue),
  state: row.state,
  reason: row.reason,
  submittedBy: row.submitted_by,
  submittedAt: row.submitted_at,
  startedAt: row.started_at,
  endedAt: row.ended_at,
});

/** Queues a run (audited "run_submitted" by `actor`); returns its id. */
export function insertRun(db: Database, settings: JsonValue, actor: string, now: Date): number {
  const result = db
    .prepare("INSERT INTO runs (settings, state, submitted_by, submitted_at) VALUES (?, 'queued', ?, ?)")
    .run(canonicalJson(settings), actor, now.toISOString());
  const runId = Number(result.lastInsertRowid);
  appendAudit(db, actor, "run_submitted", { run: runId, settings }, now);
  return runId;
}

export function selectRun(db: Database, runId: number): RunRecord | undefined {
  const row = db.prepare("SELECT * FROM runs WHERE id = ?").get(runId) as RunRow | undefined;
  return row === undefined ? undefined : toRunRecord(row);
}

export function selectRuns(db: Database): RunRecord[] {
  return (db.prepare("SELECT * FROM runs ORDER BY id").all() as RunRow[]).map(toRunRecord);
}

/**
 * Moves a run to `to` (audited "run_state_changed" by `actor`); a move out of order (a finished run started again,
 * a queued run finished) is refused with a StorageError and writes nothing.
 */
export function updateRunState(
  db: Database,
  runId: number,
  to: RunState,
  change: { readonly actor: string; readonly reason?: string },
  now: Date,
): RunRecord {
  const run = selectRun(db, runId);
  if (run === undefined) throw new StorageError("not-found", `no run with id ${runId}`);
  if (!NEXT_STATES[run.state].includes(to))
    throw new StorageError("conflict", `run ${runId} is ${run.state}; it cannot become ${to}`);
  if (to === "running") {
    const other = db.prepare("SELECT id FROM runs WHERE state = 'running'").get() as
      { id: number } | undefined;
    if (other !== undefined) throw new StorageError("conflict", `run ${other.id} is still running`);
  }
  const time = now.toISOString();
  db.prepare(
    `UPDATE runs SET state = ?, reason = COALESCE(?, reason),
       started_at = CASE WHEN ? = 'running' THEN ? ELSE started_at END,
       ended_at = CASE WHEN ? = 'running' THEN ended_at ELSE ? END
     WHERE id = ?`,
  ).run(to, change.reason ?? null, to, time, to, time, runId);
  appendAudit(
    db,
    change.actor,
    "run_state_changed",
    { run: runId, from: run.state, to, reason: change.reason ?? null },
    now,
  );
  return selectRun(db, runId) as RunRecord;
}

/** Fills in the settings of a run migrated from a version-1 store (it had none stored). */
export function adoptRunSettings(db: Database, runId: number, settings: JsonValue, now: Date): void {
  const result = db
    .prepare("UPDATE runs SET settings = ? WHERE id = ? AND settings IS NULL")
    .run(canonicalJson(settings), runId);
  if (result.changes === 0) throw new StorageError("conflict", `run ${runId} already has its settings`);
  appendAudit(db, "coordinator", "run_settings_adopted", { run: runId, settings }, now);
}

/**
 * Version 1 → 2. The tables that gain a run id are rebuilt the way SQLite documents
 * (https://sqlite.org/lang_altertable.html#otheralter: create, copy, drop, rename), with foreign keys
 * off, so participation's references to `rounds` stay as they are. A store with rounds gets run 1,
 * "running" with no settings: the next start takes them from its config (the config it ran with) and
 * finishes or resumes it, as a version-1 coordinator would have. he round shares get the run in their key.
 */
export function migrateFromV1(db: Database, runScopedSchema: string, now: Date): void {
  db.pragma("foreign_keys = OFF");
  db.transaction(() => {
    db.exec(runScopedSchema.replace(/IF NOT EXISTS (\w+) \(/g, "IF NOT EXISTS $1_v2 ("));
    const first = db.prepare("SELECT MIN(opened_at) AS at FROM rounds").get() as { at: string | null };
    if (first.at !== null) {
      db.prepare(
        "INSERT INTO runs (id, settings, state, submitted_by, submitted_at, started_at) VALUES (1, NULL, 'running', 'coordinator', ?, ?)",
      ).run(first.at, first.at);
    }
    db.exec(`
      INSERT INTO rounds_v2 SELECT id, 1, round, attempt, kind, status, settings, participants,
        checkpoint_sha256, checkpoint_path, reason, opened_at, closed_at FROM rounds;
      INSERT INTO metrics_v2 SELECT id, 1, round_id, site_id, name, value, recorded_at FROM metrics;
      INSERT INTO strategy_state_v2 SELECT 1, round, state FROM strategy_state;
      DROP TABLE metrics; DROP TABLE strategy_state; DROP TABLE rounds;
      ALTER TABLE rounds_v2 RENAME TO rounds;
      ALTER TABLE metrics_v2 RENAME TO metrics;
      ALTER TABLE strategy_state_v2 RENAME TO strategy_state;
      UPDATE meta SET key = 'he-round-share:1:' || substr(key, 16) WHERE key LIKE 'he-round-share:%';
      UPDATE meta SET value = '2' WHERE key = 'schema_version';
    `);
    const broken = db.pragma("foreign_key_check") as unknown[];
    if (broken.length > 0)
      throw new StorageError("schema", `migration left ${broken.length} broken references`);
    appendAudit(
      db,
      "coordinator",
      "store_migrated",
      { fromVersion: 1, toVersion: 2, runs: first.at === null ? 0 : 1 },
      now,
    );
  })();
  db.pragma("foreign_keys = ON");
}
