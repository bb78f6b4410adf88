// Runs in the coordinator store: a fresh store, the migration of a version-1 store, and run states in order only.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CoordinatorStore, StorageError } from "../../coordinator/storage/store.ts";
import { errorCode } from "./helpers/error-code.ts";

const now = new Date("2026-01-01T00:00:00Z");
let dir: string;
let dbPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "fedtune-runs-"));
  dbPath = join(dir, "coordinator.sqlite");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The tables a version-1 coordinator wrote (schema.ts before runs), with one completed and one open round. */
function writeVersion1Store(): void {
  mkdirSync(dir, { recursive: true });
  const db = new Database(dbPath);
  db.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('schema_version', '1'), ('he-round-share:k1:1', '["site-a"]');
    CREATE TABLE sites (site_id TEXT PRIMARY KEY, cert_fingerprint TEXT NOT NULL, signing_public_key BLOB,
      joined_at TEXT NOT NULL, last_seen TEXT NOT NULL);
    INSERT INTO sites VALUES ('site-a', 'aa', NULL, '2025-12-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z');
    CREATE TABLE rounds (id INTEGER PRIMARY KEY, round INTEGER NOT NULL, attempt INTEGER NOT NULL,
      kind TEXT NOT NULL, status TEXT NOT NULL, settings TEXT NOT NULL, participants TEXT NOT NULL,
      checkpoint_sha256 TEXT, checkpoint_path TEXT, reason TEXT, opened_at TEXT NOT NULL, closed_at TEXT,
      UNIQUE (kind, round, attempt));
    INSERT INTO rounds VALUES
      (1, 1, 1, 'train', 'completed', '{}', '["site-a"]', 'ff', '/c/round-000001', NULL,
        '2025-12-01T00:01:00.000Z', '2025-12-01T00:02:00.000Z'),
      (2, 2, 1, 'train', 'open', '{}', '["site-a"]', NULL, NULL, NULL, '2025-12-01T00:03:00.000Z', NULL);
    CREATE TABLE participation (round_id INTEGER NOT NULL REFERENCES rounds (id),
      site_id TEXT NOT NULL REFERENCES sites (site_id), stage TEXT NOT NULL, dropped INTEGER NOT NULL,
      reason TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (round_id, site_id));
    INSERT INTO participation VALUES (1, 'site-a', 'unmask', 0, NULL, '2025-12-01T00:02:00.000Z');
    CREATE TABLE metrics (id INTEGER PRIMARY KEY, round_id INTEGER NOT NULL REFERENCES rounds (id),
      site_id TEXT REFERENCES sites (site_id), name TEXT NOT NULL, value REAL NOT NULL, recorded_at TEXT NOT NULL);
    INSERT INTO metrics VALUES (1, 1, NULL, 'train_loss', 0.5, '2025-12-01T00:02:00.000Z');
    CREATE TABLE strategy_state (id INTEGER PRIMARY KEY CHECK (id = 1), round INTEGER NOT NULL, state TEXT NOT NULL);
    INSERT INTO strategy_state VALUES (1, 1, 'state-1');
    CREATE TABLE audit (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
      details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
  `);
  db.close();
}

describe("runs in the coordinator store", () => {
  it("a fresh store has version 2, no run, and queues submitted runs in order", () => {
    const store = CoordinatorStore.open(dbPath);
    expect(store.getMeta("schema_version")).toBe("2");
    expect(store.listRuns()).toEqual([]);
    const first = store.submitRun({ rounds: 2 }, "config", now);
    const second = store.submitRun({ rounds: 3 }, "admin-1", now);
    expect(store.listRuns().map((run) => [run.id, run.state, run.settings, run.submittedBy])).toEqual([
      [first, "queued", { rounds: 2 }, "config"],
      [second, "queued", { rounds: 3 }, "admin-1"],
    ]);
    expect(store.listAudit().map((entry) => [entry.actor, entry.action])).toEqual([
      ["config", "run_submitted"],
      ["admin-1", "run_submitted"],
    ]);
    store.close();
  });

  it("migrates a version-1 store: its rounds, metrics and strategy state become run 1's, its open round resumes", () => {
    writeVersion1Store();
    const store = CoordinatorStore.open(dbPath);
    expect(store.getMeta("schema_version")).toBe("2");
    const [run] = store.listRuns();
    expect(run).toMatchObject({
      id: 1,
      state: "running",
      settings: null,
      startedAt: "2025-12-01T00:01:00.000Z",
    });
    expect(store.listRounds(1).map((r) => [r.runId, r.round, r.status])).toEqual([
      [1, 1, "completed"],
      [1, 2, "open"],
    ]);
    expect(store.listMetrics(1)).toEqual([{ roundId: 1, siteId: null, name: "train_loss", value: 0.5 }]);
    expect(store.getMeta("he-round-share:1:k1:1")).toBe('["site-a"]');
    expect(store.getMeta("he-round-share:k1:1")).toBeUndefined();
    // The round left open is retried as a new try of run 1, from round 1's checkpoint and strategy state.
    expect(store.resume(1, now)).toEqual({
      completedTrainRounds: 1,
      checkpoint: { sha256: "ff", path: "/c/round-000001" },
      strategyState: "state-1",
    });
    expect(store.listSites()[0]).toMatchObject({ siteId: "site-a", roundsContributed: 1 });
    store.adoptRunSettings(1, { rounds: 2 }, now);
    expect(store.getRun(1)?.settings).toEqual({ rounds: 2 });
    expect(errorCode(StorageError, () => store.adoptRunSettings(1, { rounds: 3 }, now))).toBe("conflict");
    expect(store.listAudit().map((entry) => entry.action)).toEqual([
      "store_migrated",
      "round_abandoned",
      "run_settings_adopted",
    ]);
    expect(store.verifyAuditChain().ok).toBe(true);
    store.close();
    // Opening it again finds version 2 and migrates nothing.
    const reopened = CoordinatorStore.open(dbPath);
    expect(reopened.listRuns()).toHaveLength(1);
    expect(reopened.listAudit()).toHaveLength(3);
    reopened.close();
  });

  it("moves a run only forward, one running at a time, and refuses the rest without writing", () => {
    const store = CoordinatorStore.open(dbPath);
    const first = store.submitRun({ rounds: 1 }, "config", now);
    const second = store.submitRun({ rounds: 1 }, "admin-1", now);
    const code = (fn: () => unknown): string => errorCode(StorageError, fn);
    expect(code(() => store.setRunState(first, "finished", { actor: "coordinator" }, now))).toBe("conflict");
    store.setRunState(first, "running", { actor: "coordinator" }, now);
    expect(code(() => store.setRunState(second, "running", { actor: "coordinator" }, now))).toBe("conflict");
    expect(code(() => store.setRunState(first, "queued", { actor: "coordinator" }, now))).toBe("conflict");
    const before = store.listAudit().length;
    store.setRunState(first, "aborted", { actor: "admin-1", reason: "operator" }, now);
    expect(store.getRun(first)).toMatchObject({
      state: "aborted",
      reason: "operator",
      endedAt: now.toISOString(),
    });
    expect(code(() => store.setRunState(first, "running", { actor: "coordinator" }, now))).toBe("conflict");
    expect(code(() => store.setRunState(99, "running", { actor: "coordinator" }, now))).toBe("not-found");
    expect(
      store
        .listAudit()
        .slice(before)
        .map((entry) => [entry.actor, entry.action, entry.details]),
    ).toEqual([
      ["admin-1", "run_state_changed", { run: first, from: "running", to: "aborted", reason: "operator" }],
    ]);
    // A round opens only in the running run.
    store.recordSiteJoin({ siteId: "site-a", certFingerprint: "a".repeat(64) }, now);
    const round = { round: 1, attempt: 1, kind: "train" as const, settings: {}, participants: ["site-a"] };
    expect(code(() => store.openRound({ ...round, runId: second }, now))).toBe("conflict");
    store.setRunState(second, "running", { actor: "coordinator" }, now);
    expect(store.openRound({ ...round, runId: second }, now)).toBeGreaterThan(0);
    store.close();
  });
});
