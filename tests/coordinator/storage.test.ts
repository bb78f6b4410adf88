// Coordinator storage: round lifecycle, atomic completion, resume after kill -9, the audit hash chain.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readCiphertextCheckpoint, writeCiphertextCheckpoint } from "../../coordinator/checkpoints.ts";
import { auditEntryHash } from "../../coordinator/storage/audit.ts";
import { canonicalJson } from "../../coordinator/storage/canonical-json.ts";
import { CoordinatorStore, StorageError } from "../../coordinator/storage/store.ts";
import { errorCode } from "./helpers/error-code.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const now = new Date("2026-01-01T00:00:00Z");
let dir: string;
let dbPath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "fedtune-store-"));
  dbPath = join(dir, "state", "coordinator.sqlite");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function storeWithSites(): CoordinatorStore {
  const store = CoordinatorStore.open(dbPath);
  store.recordSiteJoin(
    { siteId: "site-a", certFingerprint: "a".repeat(64), signingPublicKey: new Uint8Array(32) },
    now,
  );
  store.recordSiteJoin({ siteId: "site-b", certFingerprint: "b".repeat(64) }, now);
  store.recordSiteJoin({ siteId: "site-c", certFingerprint: "c".repeat(64) }, now);
  store.setRunState(store.submitRun({ rounds: 2 }, "test", now), "running", { actor: "test" }, now);
  return store;
}

const trainRound = (round: number, attempt = 1) => ({
  runId: 1,
  round,
  attempt,
  kind: "train" as const,
  settings: { strategy: "fedavg", privacy: "secagg" },
  participants: ["site-c", "site-a", "site-b"],
});

describe("CoordinatorStore", () => {
  it("tracks a round from open to completed with participation, metrics and counts per site", () => {
    const store = storeWithSites();
    const roundId = store.openRound(trainRound(1), now);
    store.recordParticipation(roundId, "site-a", { stage: "unmask" }, now);
    store.recordParticipation(
      roundId,
      "site-b",
      { stage: "share_keys", dropped: true, reason: "deadline" },
      now,
    );
    store.completeRound(
      {
        roundId,
        checkpoint: { sha256: "d".repeat(64), path: "/ckpt/round-000001" },
        metrics: [
          { name: "train_loss", value: 1.5 },
          { siteId: "site-a", name: "examples", value: 12 },
        ],
        details: { dropouts: 1 },
      },
      now,
    );
    const [round] = store.listRounds();
    expect(round).toMatchObject({
      round: 1,
      status: "completed",
      participants: ["site-a", "site-b", "site-c"],
    });
    expect(store.listMetrics(roundId)).toEqual([
      { roundId, siteId: null, name: "train_loss", value: 1.5 },
      { roundId, siteId: "site-a", name: "examples", value: 12 },
    ]);
    expect(
      store.listSites().map((site) => [site.siteId, site.roundsContributed, site.roundsDropped]),
    ).toEqual([
      ["site-a", 1, 0],
      ["site-b", 0, 1],
      ["site-c", 1, 0],
    ]);
    const completed = store.listAudit().at(-1);
    expect(completed).toMatchObject({
      action: "round_completed",
      details: { round: 1, survivors: ["site-a", "site-c"], checkpointSha256: "d".repeat(64), dropouts: 1 },
    });
    store.close();
  });

  it("refuses out-of-order writes and changes nothing", () => {
    const store = storeWithSites();
    const roundId = store.openRound(trainRound(1), now);
    const auditLength = store.listAudit().length;
    const code = (action: () => unknown): string => errorCode(StorageError, action);
    expect(code(() => store.openRound(trainRound(2), now))).toBe("conflict");
    expect(code(() => store.completeRound({ roundId }, now))).toBe("bad-input");
    expect(code(() => store.recordParticipation(roundId, "site-z", { stage: "train" }, now))).toBe(
      "not-found",
    );
    store.abandonRound(roundId, "too few survivors", now);
    expect(code(() => store.abandonRound(roundId, "again", now))).toBe("not-open");
    expect(code(() => store.openRound({ ...trainRound(1, 2), participants: ["site-a", "ghost"] }, now))).toBe(
      "not-found",
    );
    expect(store.listRounds().map((round) => [round.round, round.attempt, round.status])).toEqual([
      [1, 1, "abandoned"],
    ]);
    expect(store.listAudit()).toHaveLength(auditLength + 1);
    store.close();
  });

  it("commits a completion atomically: a failure midway leaves the round open and the log untouched", () => {
    const store = storeWithSites();
    const roundId = store.openRound(trainRound(1), now);
    const before = store.listAudit().length;
    // The metric fails validation after the status, checkpoint and strategy-state writes ran.
    expect(() =>
      store.completeRound(
        {
          roundId,
          checkpoint: { sha256: "e".repeat(64), path: "/x" },
          strategyState: "s",
          metrics: [{ name: "loss", value: Number.NaN }],
        },
        now,
      ),
    ).toThrow(StorageError);
    expect(store.getRound(roundId)?.status).toBe("open");
    expect(store.listAudit()).toHaveLength(before);
    expect(store.resume(1, now)).toEqual({
      completedTrainRounds: 0,
      checkpoint: undefined,
      strategyState: undefined,
    });
    store.close();
  });

  it("after kill -9 inside a commit, a restart resumes at the last completed round", () => {
    const checkpointDir = join(dir, "checkpoints");
    const child = spawnSync(
      process.execPath,
      [
        join(repoRoot, "bin/run-ts.mjs"),
        join(repoRoot, "tests/coordinator/fixtures/crash-mid-commit.ts"),
        dbPath,
        checkpointDir,
      ],
      { cwd: repoRoot, encoding: "utf8" },
    );
    expect(child.signal, child.stderr).toBe("SIGKILL");

    const store = CoordinatorStore.open(dbPath);
    const resumed = store.resume(1, new Date("2026-01-01T01:00:00Z"));
    expect(resumed.completedTrainRounds).toBe(1);
    expect(resumed.strategyState).toBe("state-1");
    expect(resumed.checkpoint).toBeDefined();
    if (resumed.checkpoint === undefined) return;
    expect(Array.from(readCiphertextCheckpoint(resumed.checkpoint))).toEqual([1]);
    expect(store.listRounds().map((round) => [round.round, round.status, round.reason])).toEqual([
      [1, "completed", null],
      [2, "abandoned", "coordinator restarted"],
    ]);
    expect(store.verifyAuditChain()).toMatchObject({ ok: true });
    expect(store.listAudit().map((entry) => entry.action)).toEqual([
      "site_joined",
      "site_joined",
      "run_submitted",
      "run_state_changed",
      "round_opened",
      "round_completed",
      "round_opened",
      "round_abandoned",
    ]);
    // The retried try overwrites the orphaned checkpoint of the uncommitted one.
    const retry = store.openRound({ ...trainRound(2, 2), participants: ["site-a", "site-b"] }, now);
    store.completeRound(
      { roundId: retry, checkpoint: writeCiphertextCheckpoint(checkpointDir, 2, Uint8Array.of(9)) },
      now,
    );
    expect(store.resume(1, now).completedTrainRounds).toBe(2);
    store.close();
  });

  it("audits a site's first join and a change of certificate, not a repeated identical join", () => {
    const store = CoordinatorStore.open(dbPath);
    expect(store.recordSiteJoin({ siteId: "site-a", certFingerprint: "a".repeat(64) }, now)).toBe(true);
    expect(store.recordSiteJoin({ siteId: "site-a", certFingerprint: "a".repeat(64) }, now)).toBe(false);
    expect(store.recordSiteJoin({ siteId: "site-a", certFingerprint: "f".repeat(64) }, now)).toBe(true);
    expect(store.listAudit().map((entry) => entry.action)).toEqual(["site_joined", "site_rejoined"]);
    store.close();
  });
});

describe("audit hash chain", () => {
  function chainOf(entries: number): void {
    const store = CoordinatorStore.open(dbPath);
    for (let i = 0; i < entries; i++) store.audit("admin-1", "status_viewed", { i, note: "x" }, now);
    store.close();
  }

  function withRaw(sql: string, ...params: unknown[]): void {
    const raw = new Database(dbPath);
    raw.prepare(sql).run(...params);
    raw.close();
  }

  it("verifies an intact chain and reports its head", () => {
    chainOf(4);
    const store = CoordinatorStore.open(dbPath);
    const verification = store.verifyAuditChain();
    expect(verification).toEqual({ ok: true, entries: 4, headHash: store.listAudit().at(-1)?.hash });
    store.close();
  });

  it("pinpoints an edited entry", () => {
    chainOf(4);
    withRaw("UPDATE audit SET details = ? WHERE seq = 3", canonicalJson({ i: 2, note: "forged" }));
    const store = CoordinatorStore.open(dbPath);
    expect(store.verifyAuditChain()).toMatchObject({ ok: false, firstBadSeq: 3, entries: 2 });
    store.close();
  });

  it("pinpoints an entry rewritten with a recomputed hash (its successor no longer links)", () => {
    chainOf(4);
    const store = CoordinatorStore.open(dbPath);
    const [, second] = store.listAudit();
    store.close();
    if (second === undefined) throw new Error("chain too short");
    const forged = { ...second, actor: "someone-else" };
    withRaw("UPDATE audit SET actor = ?, hash = ? WHERE seq = 2", forged.actor, auditEntryHash(forged));
    const reopened = CoordinatorStore.open(dbPath);
    expect(reopened.verifyAuditChain()).toMatchObject({ ok: false, firstBadSeq: 3 });
    reopened.close();
  });

  it("pinpoints a deleted entry", () => {
    chainOf(4);
    withRaw("DELETE FROM audit WHERE seq = 2");
    const store = CoordinatorStore.open(dbPath);
    expect(store.verifyAuditChain()).toMatchObject({ ok: false, firstBadSeq: 3 });
    store.close();
  });
});
