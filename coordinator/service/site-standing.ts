// Each site's standing with the coordinator (revoked, dropped by an operator, its last declined task): kept in the
// store together with the audit entry that changed it, consulted when sites are picked, shown by `admin sites`.
import { z } from "zod";
import type { SiteId } from "../round/stages.ts";
import type { JsonValue } from "../storage/canonical-json.ts";
import type { DurableState } from "./durable-state.ts";

const standingSchema = z.object({
  /** The revoked certificate: a site that joins again with a new one is no longer revoked. */
  revoked: z.object({ fingerprint: z.string(), at: z.string() }).optional(),
  dropped: z.object({ round: z.number().int(), attempt: z.number().int(), at: z.string() }).optional(),
  declined: z
    .object({ round: z.number().int(), reason: z.string(), detail: z.string(), at: z.string() })
    .optional(),
});
export type SiteStanding = z.output<typeof standingSchema>;

/** An audit entry: who did what, with metadata only (never keys or tensors). */
export interface StandingEntry {
  readonly actor: string;
  readonly action: string;
  readonly details: { readonly [key: string]: JsonValue };
}

/** A site's standing as `admin sites` shows it. */
export interface StandingView {
  readonly standing: "active" | "revoked" | "dropped";
  readonly revokedAt: string;
  readonly droppedAt: string;
  readonly droppedRound: number;
  readonly lastDecline: string;
}

export class SiteStandings {
  private readonly bySite = new Map<SiteId, SiteStanding>();
  /** The planned round being run (0 between rounds). */
  private round = 0;
  /**
   * Sites an operator dropped from the round in progress: a drop holds for that round only, so the set is
   * kept per round in memory (round numbers alone could repeat, e.g. in another run).
   */
  private readonly droppedFromRound = new Set<SiteId>();

  constructor(
    private readonly store: DurableState,
    sites: readonly SiteId[],
  ) {
    for (const site of sites) {
      const parsed = standingSchema.safeParse(store.siteStanding(site));
      if (parsed.success) this.bySite.set(site, parsed.data);
    }
  }

  of(site: SiteId): SiteStanding {
    return this.bySite.get(site) ?? {};
  }

  /** Whether the certificate `fingerprint` of `site` was found revoked. */
  revoked(site: SiteId, fingerprint: string | undefined): boolean {
    return fingerprint !== undefined && this.of(site).revoked?.fingerprint === fingerprint;
  }

  get roundInProgress(): number {
    return this.round;
  }

  /** A planned round starts (`round` > 0) or ends (0): drops of the previous one no longer hold. */
  set roundInProgress(round: number) {
    if (round !== this.round) this.droppedFromRound.clear();
    this.round = round;
  }

  /** Whether an operator dropped `site` from the round in progress. */
  droppedNow(site: SiteId): boolean {
    return this.droppedFromRound.has(site);
  }

  /** Why `site` (holding the certificate `fingerprint`) takes no part in the round in progress; undefined if it may. */
  exclusion(site: SiteId, fingerprint: string | undefined): string | undefined {
    if (this.revoked(site, fingerprint)) return "certificate revoked";
    if (this.droppedNow(site)) return "dropped by an operator";
    return undefined;
  }

  /** Records a change of standing and its audit entry in one write. */
  change(site: SiteId, patch: SiteStanding, entry: StandingEntry): void {
    const next = { ...this.of(site), ...patch };
    this.store.saveSiteStanding(site, next, entry);
    this.bySite.set(site, next);
    if (patch.dropped !== undefined && this.round > 0) this.droppedFromRound.add(site);
  }

  view(site: SiteId, fingerprint: string | undefined): StandingView {
    const { revoked, dropped, declined } = this.of(site);
    const isRevoked = this.revoked(site, fingerprint);
    return {
      standing: isRevoked ? "revoked" : this.droppedNow(site) ? "dropped" : "active",
      revokedAt: isRevoked ? (revoked?.at ?? "") : "",
      droppedAt: dropped?.at ?? "",
      droppedRound: dropped?.round ?? 0,
      lastDecline:
        declined === undefined ? "" : `round ${declined.round}: ${declined.reason}: ${declined.detail}`,
    };
  }
}
