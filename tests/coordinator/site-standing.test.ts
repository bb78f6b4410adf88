// Site standings: kept with their audit entries in the coordinator's store, so a restart neither forgets a
// revocation nor audits it again; a drop holds for the round in progress only; a new certificate is not revoked.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSiteId } from "../../crypto/site-id.ts";
import { DurableState } from "../../coordinator/service/durable-state.ts";
import { SiteStandings } from "../../coordinator/service/site-standing.ts";

const GAMMA = parseSiteId("gamma");
const OLD_CERT = "11".repeat(32);
const NEW_CERT = "22".repeat(32);

describe("SiteStandings", () => {
  it("survive a restart with their audit entries; a drop holds for its round, a revocation for its certificate", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedtune-standing-"));
    const store = DurableState.open(dir, undefined);
    const standings = new SiteStandings(store, [GAMMA]);
    standings.roundInProgress = 3;
    standings.change(
      GAMMA,
      { dropped: { round: 3, attempt: 1, at: "2026-01-01T00:00:00.000Z" } },
      { actor: "admin:operator", action: "site_dropped", details: { round: 3 } },
    );
    expect(standings.exclusion(GAMMA, OLD_CERT)).toBe("dropped by an operator");
    standings.roundInProgress = 0;
    standings.roundInProgress = 3; // the same number again (another run): the drop does not carry over
    expect(standings.exclusion(GAMMA, OLD_CERT)).toBeUndefined();
    standings.change(
      GAMMA,
      { revoked: { fingerprint: OLD_CERT, at: "2026-01-01T00:00:01.000Z" } },
      { actor: "coordinator", action: "site_revoked", details: { fingerprint: OLD_CERT } },
    );
    store.close();

    const reopened = DurableState.open(dir, undefined);
    try {
      const again = new SiteStandings(reopened, [GAMMA]);
      expect(again.revoked(GAMMA, OLD_CERT)).toBe(true);
      expect(again.revoked(GAMMA, NEW_CERT)).toBe(false);
      expect(again.view(GAMMA, OLD_CERT)).toEqual({
        standing: "revoked",
        revokedAt: "2026-01-01T00:00:01.000Z",
        droppedAt: "2026-01-01T00:00:00.000Z",
        droppedRound: 3,
        lastDecline: "",
      });
      // Rejoined with a new certificate: active, its last drop still on record.
      expect(again.exclusion(GAMMA, NEW_CERT)).toBeUndefined();
      expect(again.view(GAMMA, NEW_CERT).standing).toBe("active");
      expect(
        reopened.auditEntries(1).map((entry) => [entry.kind, JSON.parse(entry.detailsJson) as unknown]),
      ).toEqual([
        ["site_dropped", { actor: "admin:operator", siteId: "gamma", round: 3 }],
        ["site_revoked", { actor: "coordinator", siteId: "gamma", fingerprint: OLD_CERT }],
      ]);
      expect(reopened.verifyAudit().ok).toBe(true);
    } finally {
      reopened.close();
    }
  });
});
