// Runs round tries: picks participants, opens the mode's try, closes stages as they finish, commits or abandons.
import { CryptoError } from "../../crypto/errors.ts";
import type { RoundRef } from "../../proto/messages.ts";
import { StrategyError } from "../../strategies/index.ts";
import { isRefusal, type ModeTry, type TryInput } from "../modes/mode.ts";
import { pickParticipants, type PlannedRound } from "../round/plan.ts";
import {
  closeStage,
  firstStageDeadlineMs,
  nextStageDeadlineMs,
  pendingSites,
  stageClosable,
  startRound,
  type Running,
  type SiteId,
} from "../round/stages.ts";
import type { Checkpoint } from "./records.ts";
import type { Attempt, RoundContext } from "./round-context.ts";
import { withoutExcluded } from "./site-control.ts";

/** Runs tries of one planned round; returns a reason when every try was abandoned. */
export async function runPlannedRound(
  round: RoundContext,
  planned: PlannedRound,
): Promise<string | undefined> {
  const { config, store } = round;
  let reason = "";
  round.standing.roundInProgress = planned.round;
  try {
    for (let tries = 1; tries <= config.maxAttemptsPerRound; tries++) {
      const attempt = store.nextAttempt(planned.round, planned.kind);
      const outcome = await runAttempt(round, planned, { round: planned.round, attempt });
      if (outcome === undefined) return undefined;
      reason = outcome;
    }
  } finally {
    round.standing.roundInProgress = 0;
  }
  return `round ${planned.round} abandoned ${config.maxAttemptsPerRound} times: ${reason}`;
}

function eligibleSites(round: RoundContext): SiteId[] {
  return round.driver.eligible(round.onlineSites());
}

/** Before the run's first round: wait for sitesToStart sites (or joinMs), then pick among them. */
async function gatherSites(round: RoundContext): Promise<SiteId[] | undefined> {
  const { config, rng, sitesToStart } = round;
  const { fraction, minimum } = config.sitesPerRound;
  round.gathering = false;
  const wanted = Math.max(minimum, sitesToStart ?? minimum);
  await round.waitFor(
    () => (eligibleSites(round).length >= wanted ? true : undefined),
    config.deadlines.joinMs,
  );
  return pickParticipants(eligibleSites(round), fraction, minimum, rng);
}

async function pickForTry(round: RoundContext): Promise<SiteId[] | undefined> {
  const { config, rng } = round;
  const { fraction, minimum } = config.sitesPerRound;
  const gathered = round.gathering ? await gatherSites(round) : undefined;
  return (
    gathered ??
    (await round.waitFor(
      () => pickParticipants(eligibleSites(round), fraction, minimum, rng),
      config.deadlines.joinMs,
    ))
  );
}

/** What the audit log records about a try's settings: metadata only, never keys or tensors. */
function roundSettings(round: RoundContext, planned: PlannedRound): { [key: string]: string | number } {
  const { config } = round;
  return {
    privacyMode: config.privacy.mode,
    strategy: config.strategy.name,
    baseVersion: planned.baseVersion,
    localSteps: config.training.localSteps,
    learningRate: config.training.learningRate,
    dpLevel: config.dp?.level ?? "none",
    noiseMultiplier: config.dp?.noiseMultiplier ?? 0,
  };
}

/** The mode's part of a try: the driver's training or evaluation try. */
function openTry(round: RoundContext, input: TryInput): ModeTry {
  return input.planned.kind === "eval"
    ? round.driver.openEvaluationTry(input)
    : round.driver.openTrainingTry(input);
}

/** One try: returns undefined when it completed, else why it was abandoned. */
async function runAttempt(
  round: RoundContext,
  planned: PlannedRound,
  ref: RoundRef,
): Promise<string | undefined> {
  const { config, store, logger } = round;
  const participants = await pickForTry(round);
  if (participants === undefined) return `fewer than ${config.sitesPerRound.minimum} sites online`;
  const startedAt = Date.now();
  const roundId = store.openRound({
    round: ref.round,
    attempt: ref.attempt,
    kind: planned.kind,
    settings: roundSettings(round, planned),
    participants,
  });
  const input = { roundId, planned, ref, participants };
  const attempt: Attempt = {
    ...input,
    work: openTry(round, input),
    outbox: new Map(),
    tasks: new Map(),
    stageStartedAt: startedAt,
  };
  round.attempt = attempt;
  const mode = config.privacy.mode;
  const state = startRound({
    kind: planned.kind,
    ref,
    mode,
    participants,
    now: startedAt,
    deadlineMs: firstStageDeadlineMs(planned.kind, mode, config.deadlines),
  });
  round.state = state;
  logger.info(
    { round: ref.round, attempt: ref.attempt, kind: planned.kind, participants: participants.length },
    "round started",
  );
  round.emit({ type: "round_started", ref, kind: planned.kind, participants });
  round.emit({ type: "stage_started", ref, stage: state.stage.name, expected: participants.length });
  round.notify();
  try {
    return await driveStages(round, attempt, startedAt);
  } finally {
    attempt.work.dispose();
    if (round.attempt === attempt) round.attempt = undefined;
    if (round.state.phase === "running") {
      round.state = { phase: "idle", completedRounds: store.completedRounds().size };
    }
  }
}

/** Closes each stage when it is closable, until the try completes or is abandoned. */
async function driveStages(
  round: RoundContext,
  attempt: Attempt,
  startedAt: number,
): Promise<string | undefined> {
  const { config } = round;
  const { ref } = attempt;
  for (;;) {
    await round.waitFor(() => {
      const current = round.state;
      return current.phase === "running" && stageClosable(current, Date.now()) ? true : undefined;
    }, Number.POSITIVE_INFINITY);
    const state = round.state as Running;
    const stageName = state.stage.name;
    const nextDeadlineMs = nextStageDeadlineMs(state, config.deadlines);
    const steps = attempt.work.closeStage(state, nextDeadlineMs);
    if (isRefusal(steps)) return abandon(round, attempt, state, steps.refused);
    const advance = closeStage(state, Date.now(), config.sitesPerRound.minimum, nextDeadlineMs);
    round.emit({
      type: "stage_closed",
      ref,
      stage: stageName,
      answered: state.stage.answered.size,
      dropouts: pendingSites(state),
      durationMs: Date.now() - attempt.stageStartedAt,
    });
    if (advance.outcome === "abandon") return abandon(round, attempt, state, advance.reason);
    if (advance.outcome === "complete")
      return await complete(round, attempt, state, advance.survivors, advance.dropouts, startedAt);
    attempt.outbox = steps;
    attempt.stageStartedAt = Date.now();
    round.state = withoutExcluded(round, advance.state);
    round.emit({
      type: "stage_started",
      ref,
      stage: advance.state.stage.name,
      expected: advance.state.stage.expected.size,
    });
    round.notify();
  }
}

function recordDropouts(
  round: RoundContext,
  attempt: Attempt,
  state: Running,
  dropouts: readonly SiteId[],
): void {
  for (const site of dropouts) {
    const reason =
      round.standing.exclusion(site, round.sites.record(site)?.fingerprint) ??
      (state.stage.dropped.has(site) ? "declined" : "missed the deadline");
    round.store.dropParticipant(attempt.roundId, site, state.stage.name, reason);
  }
}

function abandon(round: RoundContext, attempt: Attempt, state: Running, reason: string): string {
  const dropouts = [...new Set([...state.lost, ...state.stage.dropped, ...pendingSites(state)])].sort();
  recordDropouts(round, attempt, state, dropouts);
  round.store.abandonRound(attempt.roundId, reason);
  round.logger.warn({ round: attempt.ref.round, attempt: attempt.ref.attempt, reason }, "round abandoned");
  round.emit({ type: "round_abandoned", ref: attempt.ref, reason, dropouts });
  return reason;
}

/** Finishes the mode's try and commits checkpoint, round row and audit record in one write. */
async function complete(
  round: RoundContext,
  attempt: Attempt,
  state: Running,
  survivors: readonly SiteId[],
  dropouts: readonly SiteId[],
  startedAt: number,
): Promise<string | undefined> {
  const { store, logger } = round;
  let result;
  try {
    result = await attempt.work.finish(round.global, round.deps.strategy);
  } catch (error) {
    if (error instanceof StrategyError || error instanceof CryptoError)
      return abandon(round, attempt, state, `aggregation failed: ${error.message}`);
    throw error;
  }
  if (isRefusal(result)) return abandon(round, attempt, state, result.refused);
  const { model, metrics } = result;
  recordDropouts(round, attempt, state, dropouts);
  const checkpoint: Checkpoint | undefined = await store.completeRound(attempt.roundId, {
    version: attempt.ref.round,
    model,
    metrics,
    details: { survivors: [...survivors], dropouts: [...dropouts] },
  });
  if (checkpoint?.model.kind === "plain") {
    round.global = {
      version: checkpoint.version,
      vector: checkpoint.model.vector,
      strategyState: checkpoint.model.strategyState,
    };
  }
  logger.info(
    {
      round: attempt.ref.round,
      attempt: attempt.ref.attempt,
      survivors: survivors.length,
      dropouts: dropouts.length,
      metrics,
    },
    "round completed",
  );
  round.emit({
    type: "round_completed",
    ref: attempt.ref,
    kind: attempt.planned.kind,
    trainingRound: attempt.planned.trainingRound,
    survivors,
    dropouts,
    metrics,
    checkpointSha256: checkpoint?.sha256 ?? "",
    durationMs: Date.now() - startedAt,
  });
  return undefined;
}
