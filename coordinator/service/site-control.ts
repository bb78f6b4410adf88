// Operator control of the round in progress: `admin site drop` and a revocation take a site out of it now, not at
// the stage's deadline. The round goes on without the site when the mode allows (a SecAgg+ dropout, an he
// non-uploader or non-holder, a plain non-uploader), or its try is abandoned and retried without it.
import { FederationError } from "../../proto/errors.ts";
import type { DropSiteResponse } from "../../proto/admin-messages.ts";
import type { Revocations } from "../pki/index.ts";
import { markDropped, type Running, type SiteId } from "../round/stages.ts";
import type { RoundContext } from "./round-context.ts";

/** Where the site was when it left: the round and try in progress, and its stage ("" when not in the try). */
type Removal = DropSiteResponse;

/** Where `site` stands in the running try, without changing anything. */
function locate(round: RoundContext, site: SiteId): Removal {
  const state = round.state;
  if (state.phase !== "running") return { round: round.standing.roundInProgress, attempt: 0, stage: "" };
  const { expected, dropped } = state.stage;
  const inTry = expected.has(site) && !dropped.has(site);
  return { round: state.ref.round, attempt: state.ref.attempt, stage: inTry ? state.stage.name : "" };
}

/**
 * Drops `site` from the running try's stage when it still owes it an answer, so the stage closes as soon as
 * the others answered. A site that already answered this stage is dropped from the next one as it opens
 * ({@link withoutExcluded}); later tries of the round do not pick it (RoundContext.onlineSites).
 */
function leaveRunningTry(round: RoundContext, site: SiteId): void {
  const state = round.state;
  if (state.phase === "running" && !state.stage.answered.has(site)) round.state = markDropped(state, site);
  round.notify();
}

/** A new stage's expected sites, less those excluded from the round since the previous stage closed. */
export function withoutExcluded(round: RoundContext, state: Running): Running {
  let next = state;
  for (const site of state.stage.expected) if (round.isExcluded(site)) next = markDropped(next, site);
  return next;
}

/** `fedtune admin site drop`: audited as the operator's action; an unknown site or no round in progress changes nothing. */
export function dropSite(round: RoundContext, site: SiteId, operator: string): Removal {
  round.checkStopped();
  if (round.sites.record(site) === undefined)
    throw new FederationError("not_found", `no site named ${site} has joined`);
  const roundNumber = round.standing.roundInProgress;
  if (roundNumber === 0) throw new FederationError("failed_precondition", "no round is in progress");
  if (round.standing.droppedNow(site))
    throw new FederationError("failed_precondition", `${site} was already dropped from round ${roundNumber}`);
  const removal = locate(round, site);
  round.standing.change(
    site,
    { dropped: { round: removal.round, attempt: removal.attempt, at: new Date().toISOString() } },
    { actor: `admin:${operator}`, action: "site_dropped", details: { ...removal } },
  );
  leaveRunningTry(round, site);
  round.logger.warn({ siteId: site, operator, ...removal }, "site dropped from the round by an operator");
  return removal;
}

/**
 * Acts on revocations of joined sites' certificates (called periodically; the TLS edge refuses their new calls on
 * its own): each is audited once and logged, and the site leaves the round in progress and its open calls.
 */
export function applyRevocations(round: RoundContext, revocations: Revocations): void {
  for (const site of round.sites.ids()) {
    const fingerprint = round.sites.record(site)?.fingerprint;
    if (fingerprint === undefined || !revocations.fingerprints.has(fingerprint)) continue;
    if (round.standing.revoked(site, fingerprint)) continue;
    const removal = locate(round, site);
    round.standing.change(
      site,
      { revoked: { fingerprint, at: new Date().toISOString() } },
      { actor: "coordinator", action: "site_revoked", details: { fingerprint, ...removal } },
    );
    leaveRunningTry(round, site);
    round.logger.warn(
      { siteId: site, fingerprint, ...removal },
      "site's certificate revoked: dropped from the round in progress, its calls refused",
    );
  }
}
