// The coordinator service: one round context shared by the run loop and the Federation handlers.
import type { DropSiteResponse } from "../../proto/admin-messages.ts";
import type { FederationHandlers } from "../../proto/rpc.ts";
import type { SiteId } from "../round/stages.ts";
import type { RunSummary } from "./records.ts";
import { RoundContext, type CoordinatorDeps } from "./round-context.ts";
import { federationHandlers } from "./rpc-handlers.ts";
import { runFederation } from "./run-loop.ts";
import { applyRevocations, dropSite } from "./site-control.ts";
import type { StandingView } from "./site-standing.ts";

/** How often the revocation list is looked at for joined sites (a revocation takes effect within this). */
const REVOCATION_CHECK_MS = 1_000;

export type { CoordinatorDeps };

export class Coordinator {
  private readonly round: RoundContext;
  readonly handlers: FederationHandlers;

  constructor(deps: CoordinatorDeps) {
    this.round = new RoundContext(deps);
    this.handlers = federationHandlers(this.round);
  }

  /** Runs the plan from the first round not yet completed; resolves when done, failed or stopped. */
  async run(): Promise<RunSummary> {
    this.checkRevocations();
    const timer = setInterval(() => this.checkRevocations(), REVOCATION_CHECK_MS);
    try {
      return await runFederation(this.round);
    } finally {
      clearInterval(timer);
    }
  }

  /** A revocation list that cannot be read is logged and retried; the TLS edge refuses every call meanwhile. */
  private checkRevocations(): void {
    const { revocations, logger } = this.round.deps;
    if (revocations === undefined) return;
    try {
      applyRevocations(this.round, revocations());
    } catch (error) {
      logger.error({ err: error }, "revocation list unreadable");
    }
  }

  /** `admin site drop`: `site` leaves the round in progress now. */
  dropSite(site: SiteId, operator: string): DropSiteResponse {
    return dropSite(this.round, site, operator);
  }

  /** A joined site's standing (revoked, dropped, last decline) and when it was last seen, for `admin sites`. */
  siteStatus(site: SiteId): StandingView & { readonly lastSeen?: string } {
    const { standing, sites } = this.round;
    const lastSeen = sites.lastSeenAt(site);
    return {
      ...standing.view(site, sites.record(site)?.fingerprint),
      ...(lastSeen === undefined ? {} : { lastSeen }),
    };
  }

  /**
   * After the run: resolves once every site seen recently has been told the federation finished
   * (so that it exits instead of retrying), or after `timeoutMs`.
   */
  async drain(timeoutMs: number): Promise<void> {
    const round = this.round;
    const expected = round.onlineSites();
    await round.waitFor(
      () => (expected.every((site) => round.informed.has(site)) ? true : undefined),
      timeoutMs,
    );
  }

  /** Stops driving rounds; in-flight calls are refused from now on. */
  stop(): void {
    this.round.stop();
  }

  /** For the admin service. */
  status(): {
    round: number;
    attempt: number;
    stage: string;
    completedRounds: number;
    totalRounds: number;
    sitesJoined: number;
    sitesOnline: number;
  } {
    const { state, store, plan, sites } = this.round;
    const running = state.phase === "running" ? state : undefined;
    return {
      round: running?.ref.round ?? 0,
      attempt: running?.ref.attempt ?? 0,
      stage: running?.stage.name ?? state.phase,
      completedRounds: store.completedRounds().size,
      totalRounds: plan.length,
      sitesJoined: sites.size,
      sitesOnline: sites.online().length,
    };
  }
}
