// The sites table: joins (audited when new or changed) and each site's participation counts.
import type { Database } from "better-sqlite3";
import { parseSiteId } from "../../crypto/site-id.ts";
import { appendAudit } from "./audit.ts";
import type { SiteRow } from "./schema.ts";

export interface SiteJoin {
  readonly siteId: string;
  readonly certFingerprint: string;
  readonly signingPublicKey?: Uint8Array;
}

/** The caller's transaction makes the row and its audit entry one write. */
export function recordSiteJoin(db: Database, site: SiteJoin, now: Date): boolean {
  const existing = db
    .prepare("SELECT cert_fingerprint, signing_public_key FROM sites WHERE site_id = ?")
    .get(site.siteId) as { cert_fingerprint: string; signing_public_key: Buffer | null } | undefined;
  const key = site.signingPublicKey === undefined ? null : Buffer.from(site.signingPublicKey);
  const time = now.toISOString();
  const keyHex = key?.toString("hex") ?? null;
  if (existing === undefined) {
    db.prepare(
      "INSERT INTO sites (site_id, cert_fingerprint, signing_public_key, joined_at, last_seen) VALUES (?, ?, ?, ?, ?)",
    ).run(site.siteId, site.certFingerprint, key, time, time);
    appendAudit(
      db,
      site.siteId,
      "site_joined",
      { certFingerprint: site.certFingerprint, signingPublicKey: keyHex },
      now,
    );
    return true;
  }
  const changed =
    existing.cert_fingerprint !== site.certFingerprint ||
    (existing.signing_public_key?.toString("hex") ?? null) !== keyHex;
  db.prepare(
    "UPDATE sites SET cert_fingerprint = ?, signing_public_key = ?, last_seen = ? WHERE site_id = ?",
  ).run(site.certFingerprint, key, time, site.siteId);
  if (changed) {
    appendAudit(
      db,
      site.siteId,
      "site_rejoined",
      {
        certFingerprint: site.certFingerprint,
        signingPublicKey: keyHex,
        previousCertFingerprint: existing.cert_fingerprint,
      },
      now,
    );
  }
  return changed;
}

export function selectSites(db: Database): SiteRow[] {
  const rows = db
    .prepare(
      `SELECT s.site_id, s.cert_fingerprint, s.signing_public_key, s.joined_at, s.last_seen,
           COALESCE(SUM(CASE WHEN p.dropped = 0 AND r.status = 'completed' THEN 1 ELSE 0 END), 0) AS contributed,
           COALESCE(SUM(p.dropped), 0) AS dropped
         FROM sites s
         LEFT JOIN participation p ON p.site_id = s.site_id
         LEFT JOIN rounds r ON r.id = p.round_id
         GROUP BY s.site_id ORDER BY s.site_id`,
    )
    .all() as {
    site_id: string;
    cert_fingerprint: string;
    signing_public_key: Buffer | null;
    joined_at: string;
    last_seen: string;
    contributed: number;
    dropped: number;
  }[];
  return rows.map((row) => ({
    siteId: parseSiteId(row.site_id),
    certFingerprint: row.cert_fingerprint,
    signingPublicKey: row.signing_public_key === null ? null : new Uint8Array(row.signing_public_key),
    joinedAt: row.joined_at,
    lastSeen: row.last_seen,
    roundsContributed: row.contributed,
    roundsDropped: row.dropped,
  }));
}
