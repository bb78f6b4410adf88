// The Federation service's handlers: each checks the caller and the round machine, then hands over to its module.
import type { Ack, JoinRequest, JoinResponse, RoundRef } from "../../proto/messages.ts";
import type { FederationHandlers, Peer } from "../../proto/rpc.ts";
import type { SecAggStageCall } from "../../proto/secagg-steps.ts";
import { FederationError } from "../../proto/errors.ts";
import { checkTurn, markAnswered, markDropped, pendingSites } from "../round/stages.ts";
import type { EvalReport } from "../modes/mode.ts";
import { fetchAdapter } from "./downloads.ts";
import { poll } from "./poll-steps.ts";
import type { RoundContext } from "./round-context.ts";
import { refText, submitUpdate } from "./uploads.ts";

/** Between runs (none queued): polls are told "finished", joins "no run", everything else too. */
const NO_RUN = "no run is in progress";

/**
 * The handlers of the run in progress (`current()`, the latest run, or undefined before any run); a
 * site-side export may name a run that ended (`endedRun`).
 */
export function federationHandlers(
  current: () => RoundContext | undefined,
  endedRun: (runId: number) => Promise<RoundContext>,
): FederationHandlers {
  const run = (): RoundContext => {
    const round = current();
    if (round === undefined) throw new FederationError("not_found", NO_RUN);
    return round;
  };
  const stage = (peer: Peer, call: SecAggStageCall): Promise<Ack> =>
    Promise.resolve(stageMessage(run(), peer, call));
  return {
    join: (peer, request) => Promise.resolve(join(run(), peer, request)),
    poll: (peer, request, ctx) => {
      const round = current();
      if (round === undefined) return Promise.resolve({ step: "finished", finished: { completedRounds: 0 } });
      return poll(round, peer, request, ctx);
    },
    fetchAdapter: (peer, request, ctx) => fetchAdapter(run(), peer, request.version, ctx),
    submitUpdate: (peer, parts, ctx) => submitUpdate(run(), peer, parts, ctx),
    advertiseKeys: (peer, request) => stage(peer, { rpc: "advertiseKeys", stage: "advertise_keys", request }),
    shareKeys: (peer, request) => stage(peer, { rpc: "shareKeys", stage: "share_keys", request }),
    signSurvivors: (peer, request) => stage(peer, { rpc: "signSurvivors", stage: "consistency", request }),
    unmask: (peer, request) => stage(peer, { rpc: "unmask", stage: "unmask", request }),
    submitMetrics: (peer, request) =>
      Promise.resolve(
        submitMetrics(run(), peer, request.ref, {
          numExamples: request.numExamples,
          metrics: request.metrics,
        }),
      ),
    decline: (peer, request) =>
      Promise.resolve(decline(run(), peer, request.ref, request.reason, request.detail)),
    publishKeys: (peer, parts, ctx) => {
      const round = run();
      round.checkStopped();
      round.sites.seen(peer);
      return round.driver.rpcs.publishKeys(peer, parts, ctx);
    },
    fetchKeys: (peer, request, ctx) => {
      const round = run();
      round.checkStopped();
      // Authenticated, but not counted as online: an exporting site fetches its key too.
      round.sites.known(peer);
      return round.driver.rpcs.fetchKeys(peer, request, ctx);
    },
    exportAggregates: async function* (peer, request, ctx) {
      const round = request.runId === 0 ? run() : await endedRun(request.runId);
      round.checkStopped();
      round.sites.known(peer);
      yield* round.driver.rpcs.exportAggregates(peer, request, ctx);
    },
  };
}

function join(round: RoundContext, peer: Peer, request: JoinRequest): JoinResponse {
  round.checkStopped();
  // The latest run has ended: a site joins the next one when it starts (it waits on "not found"), and
  // counts as online meanwhile.
  if (round.state.phase === "finished") {
    round.sites.touch(peer.name);
    throw new FederationError("not_found", NO_RUN);
  }
  const { config, deps } = round;
  if (request.baseModelHash !== deps.baseModelHash) {
    throw new FederationError(
      "failed_precondition",
      "the site's base model differs from the federation's (hash mismatch)",
    );
  }
  const isNew = round.sites.join(peer, request);
  round.joinedThisRun.add(peer.name);
  round.logger.info(
    { siteId: peer.name, clientVersion: request.clientVersion },
    isNew ? "site joined" : "site joined again with the same keys",
  );
  if (isNew) round.emit({ type: "site_joined", siteId: peer.name });
  round.notify();
  return {
    siteId: peer.name,
    privacyMode: config.privacy.mode,
    vectorLength: deps.vectorLength,
    totalRounds: round.plan.length,
    federationName: config.name,
    lora: { ...config.lora, targetModules: [...config.lora.targetModules] },
    revocationList: deps.revocationList?.() ?? new Uint8Array(),
  };
}

/** A SecAgg+ stage RPC: checked against the round machine, then handed to the try's mode. */
function stageMessage(round: RoundContext, peer: Peer, call: SecAggStageCall): Ack {
  round.checkStopped();
  round.sites.seen(peer);
  const { ref } = call.request;
  const state = checkTurn(round.state, peer.name, ref, call.stage);
  const work = round.attempt?.work;
  if (work === undefined)
    throw new FederationError("failed_precondition", "this round does not use secure aggregation");
  work.acceptStageMessage(peer.name, call);
  round.state = markAnswered(state, peer.name);
  round.notify();
  return { note: `${call.stage} for ${refText(ref)} accepted` };
}

function submitMetrics(round: RoundContext, peer: Peer, ref: RoundRef, report: EvalReport): Ack {
  round.checkStopped();
  round.sites.seen(peer);
  const state = checkTurn(round.state, peer.name, ref, "collect_metrics");
  const work = round.attempt?.work;
  if (work === undefined) throw new FederationError("failed_precondition", "no evaluation round is running");
  work.acceptMetrics(peer.name, report);
  round.state = markAnswered(state, peer.name);
  round.notify();
  return { note: `metrics for ${refText(ref)} accepted` };
}

function decline(round: RoundContext, peer: Peer, ref: RoundRef, reason: string, detail: string): Ack {
  round.checkStopped();
  round.sites.seen(peer);
  const state = round.state;
  if (state.phase !== "running" || state.ref.round !== ref.round || state.ref.attempt !== ref.attempt) {
    throw new FederationError("failed_precondition", "no such round try is running");
  }
  if (!pendingSites(state).includes(peer.name)) {
    throw new FederationError("failed_precondition", "this site owes nothing in the current stage");
  }
  // The detail is the site's own summary (why its trainer failed, what its policy refused), kept for the operator.
  round.standing.change(
    peer.name,
    { declined: { round: ref.round, reason, detail, at: new Date().toISOString() } },
    {
      actor: "coordinator",
      action: "site_declined",
      details: { round: ref.round, attempt: ref.attempt, reason, detail },
    },
  );
  round.state = markDropped(state, peer.name);
  round.logger.warn({ siteId: peer.name, round: ref.round, reason, detail }, "site declined the round");
  round.emit({ type: "site_declined", ref, siteId: peer.name, reason, detail });
  round.notify();
  return { note: "decline recorded" };
}
