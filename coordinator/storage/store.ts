// The coordinator's SQLite state: runs, sites, rounds, participation, metrics, strategy state, audit log.
// One file, WAL mode, synchronous=FULL: a committed transaction survives kill -9 and power loss, and
// every state change commits together with the audit entry that records it.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Database as SqliteDatabase } from "better-sqlite3";
import { appendAudit, listAudit, verifyAuditChain } from "./audit.ts";
import type { AuditEntry, AuditVerification } from "./audit.ts";
import { canonicalJson } from "./canonical-json.ts";
import type { JsonValue } from "./canonical-json.ts";
import { parseSiteId, type SiteId } from "../../crypto/site-id.ts";
import { StorageError } from "./errors.ts";
import { recordSiteJoin, selectSites, type SiteJoin } from "./sites.ts";
import {
  adoptRunSettings,
  insertRun,
  migrateFromV1,
  selectRun,
  selectRuns,
  updateRunState,
  type RunRecord,
  type RunState,
} from "./runs.ts";
import { RUN_SCOPED_SCHEMA, SCHEMA, SCHEMA_VERSION, toRoundRecord } from "./schema.ts";
import type { MetricRecord, RoundKind, RoundRecord, RoundRow, SiteRow } from "./schema.ts";

/** The database's file name inside the configured storage folder. */
export const STORE_FILE = "coordinator.sqlite";

export interface MetricInput {
  /** Omitted for a federation-wide (aggregate) metric. */
  readonly siteId?: string;
  readonly name: string;
  readonly value: number;
}

export interface CheckpointRef {
  readonly sha256: string;
  readonly path: string;
}

export interface CompleteRoundInput {
  readonly roundId: number;
  /** Train rounds: the checkpoint already written (and fsynced) by checkpoints.ts. */
  readonly checkpoint?: CheckpointRef;
  /** Encoded strategy state after this round (strategies/state.ts). */
  readonly strategyState?: string;
  readonly metrics?: readonly MetricInput[];
  /** Extra audit details, e.g. survivors and dropouts. Metadata only. */
  readonly details?: { readonly [key: string]: JsonValue };
}

/** Where a restarted coordinator picks up. */
export interface ResumePoint {
  /** Highest completed training round (0 when none). */
  readonly completedTrainRounds: number;
  /** Its checkpoint, or undefined before the first. */
  readonly checkpoint: CheckpointRef | undefined;
  readonly strategyState: string | undefined;
}

export { StorageError, type StorageErrorCode } from "./errors.ts";
export type { RunRecord, RunState } from "./runs.ts";

const COORDINATOR_ACTOR = "coordinator";

/**
 * The coordinator's store. Every method is one transaction; `transaction(fn)` groups several into one
 * (better-sqlite3 turns the inner ones into savepoints). Timestamps are passed in (`now`) so that
 * callers and tests control them. Per-site model updates have no table here on purpose: the
 * coordinator never persists one (ARCHITECTURE.md, trust model).
 */
export class CoordinatorStore {
  private constructor(private readonly db: SqliteDatabase) {}

  /** Opens (creating if needed) the SQLite file at `path`. */
  static open(path: string): CoordinatorStore {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      db.pragma("journal_mode = WAL");
      // FULL: WAL commits are fsynced, so a completed round survives power loss, not just kill -9.
      db.pragma("synchronous = FULL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000");
      db.exec(SCHEMA);
      const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
        { value: string } | undefined;
      if (version?.value === "1") migrateFromV1(db, RUN_SCOPED_SCHEMA, new Date());
      db.exec(RUN_SCOPED_SCHEMA);
      if (version === undefined) {
        db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));
      } else if (version.value !== "1" && version.value !== String(SCHEMA_VERSION)) {
        throw new StorageError(
          "schema",
          `${path} has schema version ${version.value}, expected ${SCHEMA_VERSION}`,
        );
      }
    } catch (error) {
      db.close();
      throw error;
    }
    return new CoordinatorStore(db);
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one transaction: all of its writes commit together or not at all. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** A value in the meta table (e.g. the hash of the config a run started with). */
  getMeta(key: string): string | undefined {
    return (this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)
      ?.value;
  }

  setMeta(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }

  // --- audit -------------------------------------------------------------------------------

  /** An audit entry on its own (admin actions, warnings such as "privacy mode none"). */
  audit(actor: string, action: string, details: JsonValue, now: Date): AuditEntry {
    return this.transaction(() => appendAudit(this.db, actor, action, details, now));
  }

  listAudit(fromSeq = 1, limit = 10_000): AuditEntry[] {
    return listAudit(this.db, fromSeq, limit);
  }

  verifyAuditChain(): AuditVerification {
    return verifyAuditChain(this.db);
  }

  // --- runs --------------------------------------------------------------------------------

  /** Queues a run with its (already validated) settings; audited as submitted by `actor`. */
  submitRun(settings: JsonValue, actor: string, now: Date): number {
    return this.transaction(() => insertRun(this.db, settings, actor, now));
  }

  /** Moves a run on (queued → running → finished/aborted/failed, or queued → aborted), audited. */
  setRunState(
    runId: number,
    to: RunState,
    change: { readonly actor: string; readonly reason?: string },
    now: Date,
  ): RunRecord {
    return this.transaction(() => updateRunState(this.db, runId, to, change, now));
  }

  adoptRunSettings(runId: number, settings: JsonValue, now: Date): void {
    this.transaction(() => adoptRunSettings(this.db, runId, settings, now));
  }

  getRun(runId: number): RunRecord | undefined {
    return selectRun(this.db, runId);
  }

  /** Every run, in submission order (the status page and `admin run list` read this). */
  listRuns(): RunRecord[] {
    return selectRuns(this.db);
  }

  // --- sites -------------------------------------------------------------------------------

  /**
   * Records a site's join. A first join, or a join with another certificate or signing key, is
   * audited; a repeated identical join only refreshes last_seen. Returns whether it was audited.
   */
  recordSiteJoin(site: SiteJoin, now: Date): boolean {
    return this.transaction(() => recordSiteJoin(this.db, site, now));
  }

  /** Refreshes last_seen (polls); not audited. */
  touchSite(siteId: string, now: Date): void {
    this.db.prepare("UPDATE sites SET last_seen = ? WHERE site_id = ?").run(now.toISOString(), siteId);
  }

  listSites(): SiteRow[] {
    return selectSites(this.db);
  }

  // --- rounds ------------------------------------------------------------------------------

  /** Opens a round try with its settings and participants, and audits it. Returns its id. */
  openRound(
    input: {
      readonly runId: number;
      readonly round: number;
      readonly attempt: number;
      readonly kind: RoundKind;
      readonly settings: JsonValue;
      readonly participants: readonly string[];
    },
    now: Date,
  ): number {
    return this.transaction(() => {
      const open = this.db.prepare("SELECT kind, round, attempt FROM rounds WHERE status = 'open'").get() as
        Pick<RoundRow, "kind" | "round" | "attempt"> | undefined;
      if (open !== undefined) {
        throw new StorageError(
          "conflict",
          `${open.kind} round ${open.round} try ${open.attempt} is still open`,
        );
      }
      if (this.getRun(input.runId)?.state !== "running")
        throw new StorageError("conflict", `run ${input.runId} is not running`);
      const clash = this.db
        .prepare("SELECT 1 FROM rounds WHERE run_id = ? AND kind = ? AND round = ? AND attempt = ?")
        .get(input.runId, input.kind, input.round, input.attempt);
      if (clash !== undefined) {
        throw new StorageError(
          "conflict",
          `${input.kind} round ${input.round} try ${input.attempt} already exists`,
        );
      }
      const participants = [...input.participants].sort();
      const result = this.db
        .prepare(
          "INSERT INTO rounds (run_id, round, attempt, kind, status, settings, participants, opened_at) VALUES (?, ?, ?, ?, 'open', ?, ?, ?)",
        )
        .run(
          input.runId,
          input.round,
          input.attempt,
          input.kind,
          canonicalJson(input.settings),
          JSON.stringify(participants),
          now.toISOString(),
        );
      const roundId = Number(result.lastInsertRowid);
      const insertParticipation = this.db.prepare(
        "INSERT INTO participation (round_id, site_id, stage, dropped, updated_at) VALUES (?, ?, 'selected', 0, ?)",
      );
      const joined = this.db.prepare("SELECT 1 FROM sites WHERE site_id = ?");
      for (const siteId of participants) {
        if (joined.get(siteId) === undefined)
          throw new StorageError("not-found", `participant ${siteId} has not joined`);
        insertParticipation.run(roundId, siteId, now.toISOString());
      }
      appendAudit(
        this.db,
        COORDINATOR_ACTOR,
        "round_opened",
        {
          run: input.runId,
          round: input.round,
          attempt: input.attempt,
          kind: input.kind,
          settings: input.settings,
          participants,
        },
        now,
      );
      return roundId;
    });
  }

  /** Moves a participant on to `stage`, or marks it dropped (with why). Only in an open round. */
  recordParticipation(
    roundId: number,
    siteId: string,
    progress: { readonly stage: string; readonly dropped?: boolean; readonly reason?: string },
    now: Date,
  ): void {
    this.transaction(() => {
      this.requireOpen(roundId);
      const result = this.db
        .prepare(
          "UPDATE participation SET stage = ?, dropped = MAX(dropped, ?), reason = COALESCE(?, reason), updated_at = ? WHERE round_id = ? AND site_id = ?",
        )
        .run(
          progress.stage,
          progress.dropped === true ? 1 : 0,
          progress.reason ?? null,
          now.toISOString(),
          roundId,
          siteId,
        );
      if (result.changes === 0)
        throw new StorageError("not-found", `${siteId} is not a participant of round id ${roundId}`);
    });
  }

  listParticipation(
    roundId: number,
  ): { siteId: SiteId; stage: string; dropped: boolean; reason: string | null }[] {
    const rows = this.db
      .prepare(
        "SELECT site_id, stage, dropped, reason FROM participation WHERE round_id = ? ORDER BY site_id",
      )
      .all(roundId) as { site_id: string; stage: string; dropped: number; reason: string | null }[];
    return rows.map((row) => ({
      siteId: parseSiteId(row.site_id),
      stage: row.stage,
      dropped: row.dropped === 1,
      reason: row.reason,
    }));
  }

  /**
   * Completes an open round in ONE transaction: status, checkpoint reference, strategy state,
   * metrics and the audit entry. The checkpoint file must already be durable (checkpoints.ts writes
   * it first), so a crash before this commit leaves the previous round as the resume point and a
   * crash after it leaves this one, never a completed round without its checkpoint.
   */
  completeRound(input: CompleteRoundInput, now: Date): void {
    this.transaction(() => {
      const row = this.requireOpen(input.roundId);
      if (row.kind === "train" && input.checkpoint === undefined) {
        throw new StorageError("bad-input", `train round ${row.round} needs a checkpoint to complete`);
      }
      this.db
        .prepare(
          "UPDATE rounds SET status = 'completed', checkpoint_sha256 = ?, checkpoint_path = ?, closed_at = ? WHERE id = ?",
        )
        .run(
          input.checkpoint?.sha256 ?? null,
          input.checkpoint?.path ?? null,
          now.toISOString(),
          input.roundId,
        );
      if (input.strategyState !== undefined) {
        this.db
          .prepare(
            "INSERT INTO strategy_state (run_id, round, state) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET round = excluded.round, state = excluded.state",
          )
          .run(row.run_id, row.round, input.strategyState);
      }
      this.insertMetrics(row, input.metrics ?? [], now);
      const survivors = this.listParticipation(input.roundId)
        .filter((p) => !p.dropped)
        .map((p) => p.siteId);
      appendAudit(
        this.db,
        COORDINATOR_ACTOR,
        "round_completed",
        {
          run: row.run_id,
          round: row.round,
          attempt: row.attempt,
          kind: row.kind,
          survivors,
          checkpointSha256: input.checkpoint?.sha256 ?? null,
          ...input.details,
        },
        now,
      );
    });
  }

  /** Abandons an open round (too few survivors, a deadline, a restart) and audits why. */
  abandonRound(roundId: number, reason: string, now: Date): void {
    this.transaction(() => {
      const row = this.requireOpen(roundId);
      this.db
        .prepare("UPDATE rounds SET status = 'abandoned', reason = ?, closed_at = ? WHERE id = ?")
        .run(reason, now.toISOString(), roundId);
      appendAudit(
        this.db,
        COORDINATOR_ACTOR,
        "round_abandoned",
        { run: row.run_id, round: row.round, attempt: row.attempt, kind: row.kind, reason },
        now,
      );
    });
  }

  listMetrics(roundId?: number): MetricRecord[] {
    const rows = (
      roundId === undefined
        ? this.db.prepare("SELECT round_id, site_id, name, value FROM metrics ORDER BY id").all()
        : this.db
            .prepare("SELECT round_id, site_id, name, value FROM metrics WHERE round_id = ? ORDER BY id")
            .all(roundId)
    ) as { round_id: number; site_id: string | null; name: string; value: number }[];
    return rows.map((row) => ({
      roundId: row.round_id,
      siteId: row.site_id === null ? null : parseSiteId(row.site_id),
      name: row.name,
      value: row.value,
    }));
  }

  /** The round tries of run `runId`, or of every run. */
  listRounds(runId?: number): RoundRecord[] {
    const rows = (
      runId === undefined
        ? this.db.prepare("SELECT * FROM rounds ORDER BY id").all()
        : this.db.prepare("SELECT * FROM rounds WHERE run_id = ? ORDER BY id").all(runId)
    ) as RoundRow[];
    return rows.map(toRoundRecord);
  }

  getRound(roundId: number): RoundRecord | undefined {
    const row = this.db.prepare("SELECT * FROM rounds WHERE id = ?").get(roundId) as RoundRow | undefined;
    return row === undefined ? undefined : toRoundRecord(row);
  }

  /** Abandons run `runId`'s open round try, if any (an aborted run's round ends at once). */
  abandonOpenRound(runId: number, reason: string, now: Date): void {
    const open = this.openRoundRecord();
    if (open?.runId === runId) this.abandonRound(open.id, reason, now);
  }

  /** The round try left open by a crash, if any. */
  private openRoundRecord(): RoundRecord | undefined {
    const row = this.db.prepare("SELECT * FROM rounds WHERE status = 'open'").get() as RoundRow | undefined;
    return row === undefined ? undefined : toRoundRecord(row);
  }

  /**
   * What a restarted coordinator resumes from: the last completed training round, its checkpoint
   * and the strategy state committed with it. A round left open by the crash is abandoned here
   * (audited as "coordinator restarted") so it is retried as a new try.
   */
  resume(runId: number, now: Date): ResumePoint {
    return this.transaction(() => {
      const open = this.openRoundRecord();
      if (open !== undefined) this.abandonRound(open.id, "coordinator restarted", now);
      const last = this.db
        .prepare(
          "SELECT round, checkpoint_sha256, checkpoint_path FROM rounds WHERE run_id = ? AND kind = 'train' AND status = 'completed' ORDER BY round DESC LIMIT 1",
        )
        .get(runId) as { round: number; checkpoint_sha256: string; checkpoint_path: string } | undefined;
      const state = this.db.prepare("SELECT state FROM strategy_state WHERE run_id = ?").get(runId) as
        { state: string } | undefined;
      return {
        completedTrainRounds: last?.round ?? 0,
        checkpoint:
          last === undefined ? undefined : { sha256: last.checkpoint_sha256, path: last.checkpoint_path },
        strategyState: state?.state,
      };
    });
  }

  private requireOpen(roundId: number): RoundRow {
    const row = this.db.prepare("SELECT * FROM rounds WHERE id = ?").get(roundId) as RoundRow | undefined;
    if (row === undefined) throw new StorageError("not-found", `no round with id ${roundId}`);
    if (row.status !== "open") {
      throw new StorageError(
        "not-open",
        `${row.kind} round ${row.round} try ${row.attempt} is already ${row.status}`,
      );
    }
    return row;
  }

  private insertMetrics(round: RoundRow, metrics: readonly MetricInput[], now: Date): void {
    const insert = this.db.prepare(
      "INSERT INTO metrics (run_id, round_id, site_id, name, value, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
    );
    for (const metric of metrics) {
      if (!Number.isFinite(metric.value) || metric.name === "") {
        throw new StorageError(
          "bad-input",
          `metric ${metric.name || "(unnamed)"} must have a name and a finite value`,
        );
      }
      insert.run(round.run_id, round.id, metric.siteId ?? null, metric.name, metric.value, now.toISOString());
    }
  }
}
