// What protecting an update costs a site next to training it, per training round: the site's protect time (clip,
// encode, mask or encrypt, SecAgg+ exchanges, and in he mode its decryption share) ÷ its local training time.
import type { SiteEvent } from "../client/node/session.ts";

/** One training round's protect-over-train ratios over the sites that trained in it. */
export interface ProtectOverTrain {
  readonly median: number;
  readonly max: number;
  /** Sites that trained (not reused) and submitted this round. */
  readonly sites: number;
}

interface SiteRound {
  trainMs: number;
  protectMs: number;
  submitted: boolean;
}

/** Collects the sites' events; the ratios are read per round once the run is over. */
export class ProtectCostCollector {
  /** By round, then site. */
  private readonly rounds = new Map<number, Map<string, SiteRound>>();

  private entry(round: number, siteId: string): SiteRound {
    const sites = this.rounds.get(round) ?? new Map<string, SiteRound>();
    this.rounds.set(round, sites);
    const entry = sites.get(siteId) ?? { trainMs: 0, protectMs: 0, submitted: false };
    sites.set(siteId, entry);
    return entry;
  }

  handle(siteId: string, event: SiteEvent): void {
    switch (event.type) {
      case "trained":
        // A retried try's fresh training replaces the abandoned one's; a reused update keeps it.
        if (!event.reused) this.entry(event.ref.round, siteId).trainMs = event.trainMs;
        return;
      case "submitted": {
        const entry = this.entry(event.ref.round, siteId);
        // Each try's "submitted" carries that try's whole account (reset when the update is protected).
        entry.protectMs = event.protectMs;
        entry.submitted = true;
        return;
      }
      case "decryption-share":
        this.entry(event.ref.round, siteId).protectMs += event.protectMs;
        return;
      case "joined":
      case "stage":
      case "declined":
      case "evaluated":
      case "dropped":
      case "privacy":
      case "finished":
        return;
    }
  }

  /** Ratios of `round`, or null when no site trained and submitted in it. */
  ratiosOf(round: number): ProtectOverTrain | null {
    const ratios = [...(this.rounds.get(round)?.values() ?? [])]
      .filter((s) => s.submitted && s.trainMs > 0)
      .map((s) => s.protectMs / s.trainMs)
      .sort((a, b) => a - b);
    if (ratios.length === 0) return null;
    const middle = Math.floor(ratios.length / 2);
    const median =
      ratios.length % 2 === 1
        ? (ratios[middle] as number)
        : ((ratios[middle - 1] as number) + (ratios[middle] as number)) / 2;
    return { median, max: ratios[ratios.length - 1] as number, sites: ratios.length };
  }
}
