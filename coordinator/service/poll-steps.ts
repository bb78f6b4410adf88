// Poll: the step each site should take now, handed again until it is answered (once-only at the site).
import { updateClipNormOf } from "../config.ts";
import type {
  EvalTask,
  PollRequest,
  PollResponse,
  PrivacySettings,
  TrainTask,
} from "../../proto/messages.ts";
import type { HandlerContext, Peer } from "../../proto/rpc.ts";
import { strategySiteSettings } from "../../strategies/config.ts";
import { markDelivered, owesStep, type SiteId } from "../round/stages.ts";
import type { Attempt, RoundContext } from "./round-context.ts";

const MAX_POLL_WAIT_MS = 30_000;
const RETRY_AFTER_MS = 250;

export async function poll(
  round: RoundContext,
  peer: Peer,
  request: PollRequest,
  ctx: HandlerContext,
): Promise<PollResponse> {
  round.checkStopped();
  // A site from the previous run: "finished" sends it to join this one (and learn its settings).
  if (round.awaitsJoin(peer.name)) return { step: "finished", finished: { completedRounds: 0 } };
  round.sites.seen(peer);
  round.sites.reportLedger(peer.name, request.ledger);
  const deadline = Date.now() + Math.min(request.waitMs, MAX_POLL_WAIT_MS);
  for (;;) {
    const step = nextStep(round, peer.name);
    if (step !== undefined) return step;
    const left = deadline - Date.now();
    // A coordinator that is stopping says so to the sites waiting on it (UNAVAILABLE: they retry).
    round.checkStopped();
    if (left <= 0 || ctx.signal.aborted) return { step: "wait", wait: { retryAfterMs: RETRY_AFTER_MS } };
    await round.waitForChange(left, ctx.signal);
    round.checkNotRevoked(peer);
    round.sites.touch(peer.name);
  }
}

/**
 * The step this site should take now, marking it delivered; undefined when there is none. A site
 * still owed an answer gets its step again on every poll (stages.ts owesStep): the same task, or for
 * SecAgg stages exactly the same message, so a poll response lost on the way costs nothing.
 */
function nextStep(round: RoundContext, site: SiteId): PollResponse | undefined {
  const state = round.state;
  if (state.phase === "finished") {
    round.informed.add(site);
    round.notify();
    return { step: "finished", finished: { completedRounds: state.completedRounds } };
  }
  const outside = round.driver.stepOutsideRounds(site);
  if (outside !== undefined) return outside;
  if (state.phase !== "running" || !owesStep(state, site)) return undefined;
  const attempt = round.attempt;
  if (attempt === undefined) return undefined;
  const { stage } = state;
  const deadlineMs = Math.max(1, stage.deadlineAt - Date.now());
  // The try's first stage hands the task; later stages the mode's steps (SecAgg+ server messages).
  const step = state.stageIndex === 0 ? taskFor(round, attempt, site, deadlineMs) : attempt.outbox.get(site);
  if (step === undefined) return undefined;
  if (stage.delivered.has(site)) {
    round.logger.debug(
      { siteId: site, round: state.ref.round, attempt: state.ref.attempt, stage: stage.name },
      "step delivered again",
    );
  }
  round.state = markDelivered(state, site);
  return step;
}

/** The site's task of this try: the one handed first, with its relative deadline counted from now. */
function taskFor(round: RoundContext, attempt: Attempt, site: SiteId, deadlineMs: number): PollResponse {
  const handed = attempt.tasks.get(site);
  if (handed?.step === "train") return { step: "train", train: { ...handed.train, deadlineMs } };
  if (handed?.step === "eval") return { step: "eval", eval: { ...handed.eval, deadlineMs } };
  const step: PollResponse =
    attempt.planned.kind === "eval"
      ? { step: "eval", eval: evalTask(attempt, site, deadlineMs) }
      : { step: "train", train: trainTask(round, attempt, site, deadlineMs) };
  attempt.tasks.set(site, step);
  return step;
}

function privacySettings(round: RoundContext, participants: number): PrivacySettings {
  const { config } = round;
  const dp = config.dp;
  const joined = Math.max(participants, round.sites.size);
  return {
    mode: config.privacy.mode,
    clipNorm: updateClipNormOf(config),
    noiseMultiplier: dp?.noiseMultiplier ?? 0,
    samplingRate: participants / joined,
    delta: dp?.delta ?? 0,
    dpLevel: dp?.level ?? "none",
    minSurvivors: config.sitesPerRound.minimum,
    epsilonBudget: dp?.epsilonBudget ?? 0,
    exampleClipNorm: dp?.level === "record" ? dp.clipNorm : 0,
  };
}

function trainTask(round: RoundContext, attempt: Attempt, site: SiteId, deadlineMs: number): TrainTask {
  const { config } = round;
  return {
    ref: attempt.ref,
    globalVersion: attempt.planned.baseVersion,
    training: {
      localSteps: config.training.localSteps,
      batchSize: config.training.batchSize,
      learningRate: config.training.learningRate,
      maxSeqLen: config.training.maxSeqLen,
      ...strategySiteSettings(config.strategy),
      // Reproducible runs: one seed per (round, attempt); the prime multiplier keeps a retried
      // attempt of round r from reusing round r+1's seed.
      seed: (attempt.ref.round * 7919 + attempt.ref.attempt) >>> 0,
    },
    privacy: privacySettings(round, attempt.participants.length),
    secagg: attempt.work.secaggFor(site),
    participants: attempt.participants.length,
    deadlineMs,
    he: attempt.work.he,
  };
}

function evalTask(attempt: Attempt, site: SiteId, deadlineMs: number): EvalTask {
  return {
    ref: attempt.ref,
    globalVersion: attempt.planned.baseVersion,
    deadlineMs,
    he: attempt.work.he,
    secagg: attempt.work.secaggFor(site),
  };
}
