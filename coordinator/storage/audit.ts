// The hash-chained audit log: each entry commits to the one before it, so an edit or a deletion shows.
import { createHash } from "node:crypto";
import type { Database } from "better-sqlite3";
import { canonicalJson } from "./canonical-json.ts";
import type { JsonValue } from "./canonical-json.ts";

/** prev_hash of the first entry. */
const GENESIS_HASH = "0".repeat(64);

export interface AuditEntry {
  readonly seq: number;
  /** ISO-8601. */
  readonly time: string;
  /** Who caused it: "coordinator", a site id or an admin name. */
  readonly actor: string;
  /** What happened, snake_case: "site_joined", "round_opened", "round_completed", … */
  readonly action: string;
  /** Metadata only: ids, settings, hashes, counts. Never an update, a tensor or key material. */
  readonly details: JsonValue;
  readonly prevHash: string;
  readonly hash: string;
}

export type AuditVerification =
  /** headHash: the last entry's hash; recorded elsewhere, it also catches a rewrite of the whole tail. */
  | { readonly ok: true; readonly entries: number; readonly headHash: string }
  | { readonly ok: false; readonly entries: number; readonly firstBadSeq: number; readonly reason: string };

export const AUDIT_SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
`;

/** hash = SHA-256 over the canonical JSON (RFC 8785) of every other field, prev_hash included. */
export function auditEntryHash(entry: Omit<AuditEntry, "hash">): string {
  const content = canonicalJson({
    seq: entry.seq,
    time: entry.time,
    actor: entry.actor,
    action: entry.action,
    details: entry.details,
    prev_hash: entry.prevHash,
  });
  return createHash("sha256").update(content, "utf8").digest("hex");
}

interface AuditRow {
  seq: number;
  time: string;
  actor: string;
  action: string;
  details: string;
  prev_hash: string;
  hash: string;
}

/**
 * Appends one entry. Call it inside the transaction that makes the change it records, so the log
 * and the state never disagree (better-sqlite3 runs one statement at a time, so seq and prev_hash
 * cannot race).
 */
export function appendAudit(
  db: Database,
  actor: string,
  action: string,
  details: JsonValue,
  now: Date,
): AuditEntry {
  const last = db.prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").get() as
    Pick<AuditRow, "seq" | "hash"> | undefined;
  const unhashed = {
    seq: (last?.seq ?? 0) + 1,
    time: now.toISOString(),
    actor,
    action,
    details,
    prevHash: last?.hash ?? GENESIS_HASH,
  };
  const entry: AuditEntry = { ...unhashed, hash: auditEntryHash(unhashed) };
  db.prepare(
    "INSERT INTO audit (seq, time, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
  ).run(entry.seq, entry.time, entry.actor, entry.action, canonicalJson(details), entry.prevHash, entry.hash);
  return entry;
}

function rowToEntry(row: AuditRow): AuditEntry {
  return {
    seq: row.seq,
    time: row.time,
    actor: row.actor,
    action: row.action,
    details: JSON.parse(row.details) as JsonValue,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export function listAudit(db: Database, fromSeq = 1, limit = 10_000): AuditEntry[] {
  const rows = db
    .prepare("SELECT * FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?")
    .all(fromSeq, limit) as AuditRow[];
  return rows.map(rowToEntry);
}

/**
 * Walks the chain from the first entry and reports the first one that does not check: a sequence
 * gap (deleted entry), a prev_hash that is not the previous entry's hash (deleted or reordered), or
 * a hash that does not match the content (edited). Streams rows, so the log may be long.
 */
export function verifyAuditChain(db: Database): AuditVerification {
  let expectedSeq = 1;
  let previousHash = GENESIS_HASH;
  let entries = 0;
  for (const row of db.prepare("SELECT * FROM audit ORDER BY seq").iterate() as IterableIterator<AuditRow>) {
    const fail = (reason: string): AuditVerification => ({
      ok: false,
      entries,
      firstBadSeq: row.seq,
      reason,
    });
    if (row.seq !== expectedSeq) return fail(`entry ${expectedSeq} is missing (next is ${row.seq})`);
    if (row.prev_hash !== previousHash)
      return fail(`entry ${row.seq} does not follow the hash of entry ${row.seq - 1}`);
    let entry: AuditEntry;
    try {
      entry = rowToEntry(row);
    } catch {
      return fail(`entry ${row.seq} has unreadable details`);
    }
    if (auditEntryHash(entry) !== row.hash)
      return fail(`entry ${row.seq} was altered: its hash does not match its content`);
    previousHash = row.hash;
    expectedSeq += 1;
    entries += 1;
  }
  return { ok: true, entries, headHash: previousHash };
}
