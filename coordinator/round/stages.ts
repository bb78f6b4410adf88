// The round state machine: which sites must do what by when. Pure transitions, no I/O (STYLE.md items 1, 4).
import { FederationError, OutOfPhaseError } from "../../proto/errors.ts";
import type { SiteId } from "../../crypto/site-id.ts";
import type { PrivacyMode, RoundRef } from "../../proto/messages.ts";
import { SECAGG_STAGES } from "../../proto/secagg-steps.ts";

export type { SiteId };
export type RoundKind = "train" | "eval";

/**
 * The stages a round try goes through, in order, per kind and privacy mode. SecAgg+ follows
 * Bonawitz et al. 2017, Fig. 4 (rounds 0–4); local training happens before a site advertises keys,
 * so the advertise stage's deadline covers training.
 */
const STAGE_SEQUENCES = {
  plain: ["collect_updates"],
  secagg: SECAGG_STAGES,
  eval: ["collect_metrics"],
} as const;

export type StageName =
  | (typeof STAGE_SEQUENCES.plain)[number]
  | (typeof STAGE_SEQUENCES.secagg)[number]
  | (typeof STAGE_SEQUENCES.eval)[number];

/**
 * Evaluation reports travel under the round's protection: through SecAgg+ in secagg and he mode
 * (coordinator/modes/secagg.ts, openSecAggEvaluationTry), in the clear in mode none.
 */
export function stageSequence(kind: RoundKind, mode: PrivacyMode): readonly StageName[] {
  if (kind === "eval") return mode === "none" ? STAGE_SEQUENCES.eval : STAGE_SEQUENCES.secagg;
  return mode === "secagg" ? STAGE_SEQUENCES.secagg : STAGE_SEQUENCES.plain;
}

/** The stage deadlines of the federation config, in ms (coordinator/config.ts `deadlines`). */
export interface StageDeadlines {
  readonly trainMs: number;
  readonly advertiseKeysMs: number;
  readonly shareKeysMs: number;
  readonly unmaskMs: number;
  readonly evalMs: number;
}

/**
 * How long `stage` of a `kind` try stays open. Local training (or evaluation) happens before a site
 * advertises its SecAgg keys, so the advertise stage's deadline covers it; the masked input upload shares
 * the share-exchange budget.
 */
export function stageDeadlineMs(stage: StageName, kind: RoundKind, deadlines: StageDeadlines): number {
  switch (stage) {
    case "collect_updates":
      return deadlines.trainMs;
    case "advertise_keys":
      return (kind === "eval" ? deadlines.evalMs : deadlines.trainMs) + deadlines.advertiseKeysMs;
    case "share_keys":
    case "masked_input":
      return deadlines.shareKeysMs;
    case "consistency":
    case "unmask":
      return deadlines.unmaskMs;
    case "collect_metrics":
      return deadlines.evalMs;
  }
}

/** The deadline of the stage after the current one (the current one's, when it is the last). */
export function nextStageDeadlineMs(state: Running, deadlines: StageDeadlines): number {
  const next = stageSequence(state.kind, state.mode)[state.stageIndex + 1] ?? state.stage.name;
  return stageDeadlineMs(next, state.kind, deadlines);
}

/** The deadline of a try's first stage. */
export function firstStageDeadlineMs(kind: RoundKind, mode: PrivacyMode, deadlines: StageDeadlines): number {
  const [first] = stageSequence(kind, mode);
  if (first === undefined) throw new Error("empty stage sequence");
  return stageDeadlineMs(first, kind, deadlines);
}

/** One stage of one round try: who is expected, who was told, who answered, and the deadline. */
export interface Stage {
  readonly name: StageName;
  /** Sites that must answer in this stage (the survivors of the previous one). */
  readonly expected: ReadonlySet<SiteId>;
  /** Sites that were handed this stage's step by Poll at least once (see owesStep: delivery repeats). */
  readonly delivered: ReadonlySet<SiteId>;
  /** Sites that answered. */
  readonly answered: ReadonlySet<SiteId>;
  /** Sites that declined or were declared dropped during the stage. */
  readonly dropped: ReadonlySet<SiteId>;
  readonly deadlineAt: number;
}

export type RoundState =
  | { readonly phase: "idle"; readonly completedRounds: number }
  | {
      readonly phase: "running";
      readonly kind: RoundKind;
      readonly ref: RoundRef;
      readonly mode: PrivacyMode;
      readonly participants: readonly SiteId[];
      /** Index into stageSequence(kind, mode). */
      readonly stageIndex: number;
      readonly stage: Stage;
      /** Sites lost in earlier stages of this try (dropouts and declines). */
      readonly lost: ReadonlySet<SiteId>;
      readonly startedAt: number;
    }
  | { readonly phase: "finished"; readonly completedRounds: number };

export type Running = RoundState & { readonly phase: "running" };

function newStage(name: StageName, expected: ReadonlySet<SiteId>, deadlineAt: number): Stage {
  return { name, expected, delivered: new Set(), answered: new Set(), dropped: new Set(), deadlineAt };
}

export interface StartRound {
  readonly kind: RoundKind;
  readonly ref: RoundRef;
  readonly mode: PrivacyMode;
  readonly participants: readonly SiteId[];
  readonly now: number;
  readonly deadlineMs: number;
}

export function startRound(input: StartRound): Running {
  const [first] = stageSequence(input.kind, input.mode);
  if (first === undefined) throw new Error("empty stage sequence");
  return {
    phase: "running",
    kind: input.kind,
    ref: input.ref,
    mode: input.mode,
    participants: input.participants,
    stageIndex: 0,
    stage: newStage(first, new Set(input.participants), input.now + input.deadlineMs),
    lost: new Set(),
    startedAt: input.now,
  };
}

function sameRef(a: RoundRef, b: RoundRef): boolean {
  return a.round === b.round && a.attempt === b.attempt;
}

/**
 * Checks that `site` may act in `stage` of round try `ref` now; throws OutOfPhaseError
 * (FAILED_PRECONDITION) naming the expected and received stage otherwise. Changes nothing.
 */
export function checkTurn(state: RoundState, site: SiteId, ref: RoundRef, stage: StageName): Running {
  if (state.phase !== "running") throw new OutOfPhaseError(state.phase, stage);
  if (!sameRef(state.ref, ref)) {
    throw new OutOfPhaseError(
      `round ${state.ref.round} try ${state.ref.attempt}`,
      `round ${ref.round} try ${ref.attempt}`,
    );
  }
  if (!state.participants.includes(site)) {
    throw new FederationError("failed_precondition", "this site is not a participant of the current round");
  }
  if (state.stage.name !== stage) throw new OutOfPhaseError(state.stage.name, stage);
  if (!state.stage.expected.has(site) || state.stage.dropped.has(site)) {
    throw new FederationError("failed_precondition", `this site is no longer part of stage ${stage}`);
  }
  if (state.stage.answered.has(site)) {
    throw new FederationError("failed_precondition", `this site already answered stage ${stage}`);
  }
  return state;
}

function withStage(state: Running, stage: Stage): Running {
  return { ...state, stage };
}

/**
 * Whether `site` is to be handed this stage's step when it polls: it is expected, and has neither
 * answered nor dropped. Delivery is idempotent — a site that polls again before answering gets the
 * step again, because the response that carried it may have been lost on the way (a cancelled or
 * timed-out poll). Answered and dropped sites get nothing more in this stage.
 */
export function owesStep(state: Running, site: SiteId): boolean {
  const { expected, answered, dropped } = state.stage;
  return expected.has(site) && !answered.has(site) && !dropped.has(site);
}

/** Records that `site` was handed this stage's step (a repeated delivery changes nothing). */
export function markDelivered(state: Running, site: SiteId): Running {
  if (state.stage.delivered.has(site)) return state;
  return withStage(state, { ...state.stage, delivered: new Set(state.stage.delivered).add(site) });
}

/** Records a site's answer; call only after checkTurn and after the answer was accepted. */
export function markAnswered(state: Running, site: SiteId): Running {
  return withStage(state, { ...state.stage, answered: new Set(state.stage.answered).add(site) });
}

/** A site that declined, or that the protocol refused mid-stage, is out of this try. */
export function markDropped(state: Running, site: SiteId): Running {
  if (!state.stage.expected.has(site)) return state;
  return withStage(state, { ...state.stage, dropped: new Set(state.stage.dropped).add(site) });
}

/** Sites that still owe an answer in the current stage. */
export function pendingSites(state: Running): SiteId[] {
  const { expected, answered, dropped } = state.stage;
  return [...expected].filter((site) => !answered.has(site) && !dropped.has(site)).sort();
}

/**
 * Sites the running try still needs: those that owe the current stage and, when another stage follows,
 * those that answered it (between two SecAgg+ stages a site is still busy with the try).
 */
export function busySites(state: Running): SiteId[] {
  if (stageSequence(state.kind, state.mode)[state.stageIndex + 1] === undefined) return pendingSites(state);
  return [...state.stage.expected].filter((site) => !state.stage.dropped.has(site)).sort();
}

/** A stage closes when everyone answered or dropped, or when its deadline passes (stragglers drop). */
export function stageClosable(state: Running, now: number): boolean {
  return pendingSites(state).length === 0 || now >= state.stage.deadlineAt;
}

export type Advance =
  | { readonly outcome: "next"; readonly state: Running; readonly dropouts: readonly SiteId[] }
  | {
      readonly outcome: "complete";
      readonly survivors: readonly SiteId[];
      readonly dropouts: readonly SiteId[];
    }
  | { readonly outcome: "abandon"; readonly reason: string; readonly dropouts: readonly SiteId[] };

/**
 * Closes the current stage: pending sites become dropouts; the answered ones go on to the next
 * stage, or the round completes after the last. Fewer survivors than `minimum` abandons the try.
 */
export function closeStage(state: Running, now: number, minimum: number, nextDeadlineMs: number): Advance {
  const survivors = [...state.stage.answered].sort();
  const lostNow = [...state.stage.expected].filter((site) => !state.stage.answered.has(site));
  const lost = new Set([...state.lost, ...lostNow]);
  const dropouts = [...lost].sort();
  if (survivors.length < minimum) {
    return {
      outcome: "abandon",
      reason: `${survivors.length} of ${state.participants.length} sites answered ${state.stage.name}; at least ${minimum} needed`,
      dropouts,
    };
  }
  const sequence = stageSequence(state.kind, state.mode);
  const nextName = sequence[state.stageIndex + 1];
  if (nextName === undefined) return { outcome: "complete", survivors, dropouts };
  return {
    outcome: "next",
    state: {
      ...state,
      stageIndex: state.stageIndex + 1,
      stage: newStage(nextName, new Set(survivors), now + nextDeadlineMs),
      lost,
    },
    dropouts,
  };
}
