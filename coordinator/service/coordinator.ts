// The coordinator service: drives rounds through their stages and answers the sites' RPCs.
import type { Logger } from "pino";
import type { CkksContext } from "../../crypto/ckks/context.ts";
import {
  acceptHandoff,
  deliverHandoffs,
  deliveredHandoffs,
  holdsKey,
  keyHolders,
  planHandoffs,
  type KeyHolders,
} from "../../crypto/ckks/key-ceremony.ts";
import { CryptoError } from "../../crypto/errors.ts";
import { joinBindingPayload, verifySignature } from "../../crypto/keys.ts";
import type { Rng } from "../../crypto/rng.ts";
import type { ServerToClientMessage } from "../../crypto/secagg/messages.ts";
import { serverCloseStage, serverReceive } from "../../crypto/secagg/server.ts";
import { chunkBytes, collectChunks } from "../../proto/chunks.ts";
import { FederationError } from "../../proto/errors.ts";
import { FLOAT_CHUNK_ELEMENTS, MAX_CHUNK_BYTES } from "../../proto/limits.ts";
import type {
  Ack,
  DataChunk,
  EvalTask,
  ExportPart,
  HeSettings,
  JoinRequest,
  JoinResponse,
  KeyPart,
  PollResponse,
  PrivacySettings,
  RoundRef,
  SecAggSettings,
  TrainTask,
  UpdatePart,
} from "../../proto/messages.ts";
import type { FederationHandlers, HandlerContext, Peer } from "../../proto/rpc.ts";
import { CheckpointError } from "../checkpoints.ts";
import { resolveSecAggParameters, type FederationConfig } from "../config.ts";
import { planRounds, pickParticipants, type PlannedRound } from "../round/plan.ts";
import {
  checkTurn,
  closeStage,
  markAnswered,
  markDelivered,
  markDropped,
  owesStep,
  pendingSites,
  stageClosable,
  stageSequence,
  startRound,
  type RoundState,
  type Running,
  type SiteId,
  type StageName,
} from "../round/stages.ts";
import { STRATEGY_INPUT, StrategyError, type Strategy, type StrategyState } from "../strategies/index.ts";
import {
  acceptUpdate,
  createHeAggregator,
  createPlainAggregator,
  createSecAggAggregator,
  disposeAggregator,
  encodingOf,
  expectedLength,
  translateCryptoError,
  weightedSumFromProtected,
  type TrainAggregator,
} from "./aggregation.ts";
import { pickTrainedRound, type DurableState } from "./durable-state.ts";
import type { Checkpoint, CoordinatorEvent, GlobalModel, RunSummary, SiteRecord } from "./ports.ts";
import { TransferGate } from "./uploads.ts";

export interface CoordinatorDeps {
  readonly config: FederationConfig;
  readonly store: DurableState;
  readonly strategy: Strategy;
  /** Participant selection and SecAgg session ids (a CSPRNG in production). */
  readonly rng: Rng;
  readonly logger: Logger;
  /** Hex SHA-256 of the base model's weights; sites with another hash are refused. */
  readonly baseModelHash: string;
  /** Trainable adapter parameters (the update length d). */
  readonly vectorLength: number;
  /** The version-0 global adapter (none and secagg modes). */
  readonly initialGlobal: Float32Array;
  /** CKKS context without keys (he mode). */
  readonly ckks?: CkksContext;
  readonly onEvent?: (event: CoordinatorEvent) => void;
  /** Uploads staged, and adapter downloads served, at once (default 4 each). */
  readonly uploadConcurrency?: number;
  /** A site that has not polled for this long is not picked (default 20 s). */
  readonly onlineWindowMs?: number;
  /**
   * Sites to wait for (up to deadlines.joinMs) before the run's first round, so that a federation
   * started all at once does not begin with the first `minimum` sites only (default: minimum).
   */
  readonly sitesToStart?: number;
}

/**
 * Weights travel as w_k = min(n_k, MAX_EXAMPLES) / MAX_EXAMPLES ∈ (0, 1]. The fixed-point codec's step is
 * clipRange·n/2^31, and the error of Σw·Δ/Σw grows as 1/Σw, so the cap is kept near real site sizes
 * (a site with more examples weighs as one with MAX_EXAMPLES).
 */
export const MAX_EXAMPLES = 4096;
const MAX_POLL_WAIT_MS = 30_000;
const RETRY_AFTER_MS = 250;

interface Site {
  readonly record: SiteRecord;
  lastSeen: number;
}

interface EvalReport {
  readonly numExamples: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Everything one round try holds besides the pure RoundState. */
interface Attempt {
  /** The store's id of this try. */
  readonly roundId: number;
  readonly planned: PlannedRound;
  readonly ref: RoundRef;
  readonly participants: readonly SiteId[];
  readonly aggregator: TrainAggregator | undefined;
  readonly secagg: SecAggSettings | null;
  readonly he: HeSettings | null;
  /** Per-site steps of the current SecAgg stage (from the SecAgg server's messages). */
  outbox: Map<SiteId, PollResponse>;
  /**
   * The train or eval task each site was first handed in this try (tasks belong to the try's first
   * stage): a repeated delivery hands the same task again, with only its relative deadline refreshed.
   */
  readonly tasks: Map<SiteId, PollResponse>;
  readonly reports: Map<SiteId, EvalReport>;
  stageStartedAt: number;
}

interface KeyCeremony {
  readonly keyId: string;
  readonly dealer: SiteId;
  readonly recipients: readonly SiteId[];
  readonly deadlineAt: number;
  delivered: boolean;
  done: boolean;
}

/** Wakes every waiter on each change (stage moves, answers, joins); waiters re-check what they need. */
class ChangeSignal {
  private waiters: (() => void)[] = [];
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), Math.max(0, ms));
      // A waiter that times out or is aborted leaves the list at once: sites long-polling through a
      // long training stage would otherwise pile up stale waiters until the next change.
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.waiters = this.waiters.filter((wake) => wake !== done);
        resolve();
      };
      signal?.addEventListener("abort", done, { once: true });
      this.waiters.push(done);
    });
  }
}

function refText(ref: RoundRef): string {
  return `round ${ref.round} try ${ref.attempt}`;
}

export class Coordinator {
  private state: RoundState = { phase: "idle", completedRounds: 0 };
  private attempt: Attempt | undefined;
  private ceremony: KeyCeremony | undefined;
  /** he mode, after the ceremony: who holds the consortium key, and handoffs to sites that joined later. */
  private holders: KeyHolders | undefined;
  private readonly sites = new Map<SiteId, Site>();
  private global: { version: number; vector: Float32Array; strategyState: StrategyState } | undefined;
  private readonly change = new ChangeSignal();
  private readonly gate: TransferGate;
  private readonly downloads: TransferGate;
  private stopped = false;
  /** Sites told that the federation finished. */
  private readonly informed = new Set<SiteId>();
  /** True until the run's first round has gathered its sites. */
  private gathering = true;
  private readonly plan: PlannedRound[];
  private readonly stopController = new AbortController();
  readonly handlers: FederationHandlers;

  constructor(private readonly deps: CoordinatorDeps) {
    this.gate = new TransferGate(deps.uploadConcurrency ?? 4);
    this.downloads = new TransferGate(deps.uploadConcurrency ?? 4);
    this.plan = planRounds(deps.config.rounds, deps.config.evaluation.everyRounds);
    for (const record of deps.store.sites()) this.sites.set(record.siteId, { record, lastSeen: 0 });
    this.handlers = this.buildHandlers();
  }

  /** Runs the plan from the first round not yet completed; resolves when done, failed or stopped. */
  async run(): Promise<RunSummary> {
    const { config, store, strategy, vectorLength, initialGlobal } = this.deps;
    const latest = await store.resume();
    if (config.privacy.mode !== "he") {
      this.global =
        latest?.model.kind === "plain"
          ? {
              version: latest.version,
              vector: latest.model.vector,
              strategyState: latest.model.strategyState,
            }
          : { version: 0, vector: initialGlobal, strategyState: strategy.initialState(vectorLength) };
    }
    const completed = store.completedRounds();
    this.state = { phase: "idle", completedRounds: completed.size };
    if (config.privacy.mode === "none") {
      this.deps.logger.warn("privacy mode none: the coordinator sees every site's update in the clear");
    }
    store.audit("run_started", {
      federation: config.name,
      privacyMode: config.privacy.mode,
      strategy: config.strategy.name,
      resumeAfter: completed.size,
    });
    try {
      if (config.privacy.mode === "he") await this.ensureKeyCeremony();
      for (const planned of this.plan) {
        if (completed.has(planned.round)) continue;
        const outcome = await this.runPlannedRound(planned);
        if (outcome !== undefined) return this.finish("failed", outcome);
        completed.add(planned.round);
      }
      return this.finish("completed", "");
    } catch (error) {
      if (this.stopped) return this.summary("stopped", "stopped");
      // A run that cannot go on (no sites, a failed key ceremony) ends as "failed", with the reason.
      if (error instanceof FederationError) return this.finish("failed", error.message);
      throw error;
    }
  }

  /**
   * After the run: resolves once every site seen recently has been told the federation finished
   * (so that it exits instead of retrying), or after `timeoutMs`.
   */
  async drain(timeoutMs: number): Promise<void> {
    const expected = this.onlineSites();
    await this.waitFor(
      () => (expected.every((site) => this.informed.has(site)) ? true : undefined),
      timeoutMs,
    );
  }

  /** Stops driving rounds; in-flight calls are refused from now on. */
  stop(): void {
    this.stopped = true;
    this.stopController.abort();
    this.change.notify();
  }

  private emit(event: CoordinatorEvent): void {
    this.deps.onEvent?.(event);
  }

  private summary(outcome: RunSummary["outcome"], reason: string): RunSummary {
    const rounds = this.deps.store.rounds();
    const completedRounds = rounds.filter((r) => r.outcome === "completed").length;
    const trained = rounds.filter((r) => r.outcome === "completed" && r.kind === "train").map((r) => r.round);
    return { outcome, completedRounds, rounds, finalVersion: Math.max(0, ...trained), reason };
  }

  private finish(outcome: "completed" | "failed", reason: string): RunSummary {
    const summary = this.summary(outcome, reason);
    this.state = { phase: "finished", completedRounds: summary.completedRounds };
    this.deps.store.audit("run_finished", { outcome, reason, completedRounds: summary.completedRounds });
    this.emit({ type: "finished", completedRounds: summary.completedRounds, outcome, reason });
    this.change.notify();
    return summary;
  }

  private checkStopped(): void {
    if (this.stopped) throw new FederationError("unavailable", "coordinator is stopping");
  }

  // ---- Status for the admin service ----

  status(): {
    round: number;
    attempt: number;
    stage: string;
    completedRounds: number;
    totalRounds: number;
    sitesJoined: number;
    sitesOnline: number;
  } {
    const running = this.state.phase === "running" ? this.state : undefined;
    return {
      round: running?.ref.round ?? 0,
      attempt: running?.ref.attempt ?? 0,
      stage: running?.stage.name ?? this.state.phase,
      completedRounds: this.deps.store.completedRounds().size,
      totalRounds: this.plan.length,
      sitesJoined: this.sites.size,
      sitesOnline: this.onlineSites().length,
    };
  }

  private onlineSites(): SiteId[] {
    const window = this.deps.onlineWindowMs ?? 20_000;
    const now = Date.now();
    return [...this.sites.values()]
      .filter((site) => now - site.lastSeen <= window)
      .map((site) => site.record.siteId)
      .sort();
  }

  // ---- The driver ----

  /** Waits until `ready()` returns a value, re-checking on every change; fails after `timeoutMs`. */
  private async waitFor<T>(ready: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.stopped) throw new FederationError("unavailable", "coordinator stopped");
      const value = ready();
      if (value !== undefined) return value;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await this.change.wait(Math.min(left, 1000), this.stopController.signal);
    }
  }

  private keyId(): string {
    return `${this.deps.config.name}/ckks/1`;
  }

  /** he mode: one dealer site seals the consortium key to every online site (crypto/ckks/key-ceremony.ts). */
  private async ensureKeyCeremony(): Promise<void> {
    const { config, store, rng } = this.deps;
    const keyId = this.keyId();
    const keyed = [...this.sites.keys()].filter((site) => store.envelope(keyId, site) !== undefined);
    if (keyed.length >= config.sitesPerRound.minimum) {
      const dealer = store.ceremonyDealer(keyId) ?? "";
      this.ceremony = { keyId, dealer, recipients: keyed, deadlineAt: 0, delivered: true, done: true };
      this.holders = keyHolders(keyId, keyed);
      return;
    }
    for (let attempt = 1; attempt <= config.maxAttemptsPerRound; attempt++) {
      // Wait for the expected sites (up to joinMs) so that every site that starts together gets a key.
      const wanted = Math.max(config.sitesPerRound.minimum, this.deps.sitesToStart ?? 0);
      await this.waitFor(
        () => (this.onlineSites().length >= wanted ? true : undefined),
        config.deadlines.joinMs,
      );
      const present = this.onlineSites();
      const online = present.length >= config.sitesPerRound.minimum ? present : undefined;
      if (online === undefined)
        throw new FederationError("unavailable", "too few sites joined for the key ceremony");
      const dealer = pickParticipants(online, 0, 1, rng)?.[0] as SiteId;
      this.ceremony = {
        keyId,
        dealer,
        recipients: online,
        deadlineAt: Date.now() + config.deadlines.keyCeremonyMs,
        delivered: false,
        done: false,
      };
      this.emit({ type: "key_ceremony", keyId, dealer, outcome: "started" });
      this.change.notify();
      const done = await this.waitFor(
        () => (this.ceremony?.done === true ? true : undefined),
        config.deadlines.keyCeremonyMs,
      );
      if (done === true) {
        this.holders = keyHolders(keyId, online);
        store.audit("key_ceremony", { keyId, dealer, recipients: online });
        this.emit({ type: "key_ceremony", keyId, dealer, outcome: "completed" });
        return;
      }
      this.emit({ type: "key_ceremony", keyId, dealer, outcome: "failed" });
    }
    throw new FederationError("unavailable", "the key ceremony failed");
  }

  /** Runs tries of one planned round; returns a reason when every try was abandoned. */
  private async runPlannedRound(planned: PlannedRound): Promise<string | undefined> {
    const { config } = this.deps;
    let reason = "";
    for (let tries = 1; tries <= config.maxAttemptsPerRound; tries++) {
      const attempt = this.deps.store.nextAttempt(planned.round, planned.kind);
      const outcome = await this.runAttempt(planned, { round: planned.round, attempt });
      if (outcome === undefined) return undefined;
      reason = outcome;
    }
    return `round ${planned.round} abandoned ${config.maxAttemptsPerRound} times: ${reason}`;
  }

  /** Before the run's first round: wait for sitesToStart sites (or joinMs), then pick among them. */
  private async gatherSites(): Promise<SiteId[] | undefined> {
    const { config, rng, sitesToStart } = this.deps;
    const { fraction, minimum } = config.sitesPerRound;
    this.gathering = false;
    const wanted = Math.max(minimum, sitesToStart ?? minimum);
    await this.waitFor(
      () => (this.eligibleSites().length >= wanted ? true : undefined),
      config.deadlines.joinMs,
    );
    return pickParticipants(this.eligibleSites(), fraction, minimum, rng);
  }

  private eligibleSites(): SiteId[] {
    const online = this.onlineSites();
    if (this.deps.config.privacy.mode !== "he") return online;
    // A site that joined after the key ceremony is picked only once a handoff has keyed it.
    const holders = this.holders;
    return holders === undefined ? [] : online.filter((site) => holdsKey(holders, site));
  }

  private stageDeadlineMs(stage: StageName): number {
    const d = this.deps.config.deadlines;
    switch (stage) {
      case "collect_updates":
        return d.trainMs;
      case "advertise_keys":
        return d.trainMs + d.advertiseKeysMs;
      case "share_keys":
      case "masked_input":
        return d.shareKeysMs;
      case "consistency":
      case "unmask":
        return d.unmaskMs;
      case "collect_metrics":
        return d.evalMs;
    }
  }

  /** One try: returns undefined when it completed, else why it was abandoned. */
  private async runAttempt(planned: PlannedRound, ref: RoundRef): Promise<string | undefined> {
    const { config, rng, store, logger } = this.deps;
    const { fraction, minimum } = config.sitesPerRound;
    const gathering = this.gathering ? await this.gatherSites() : undefined;
    const participants =
      gathering ??
      (await this.waitFor(
        () => pickParticipants(this.eligibleSites(), fraction, minimum, rng),
        config.deadlines.joinMs,
      ));
    if (participants === undefined) return `fewer than ${minimum} sites online`;
    const startedAt = Date.now();
    const roundId = store.openRound({
      round: ref.round,
      attempt: ref.attempt,
      kind: planned.kind,
      settings: this.roundSettings(planned),
      participants,
    });
    const attempt = this.createAttempt(roundId, planned, ref, participants);
    this.attempt = attempt;
    const mode = config.privacy.mode;
    let state: Running = startRound({
      kind: planned.kind,
      ref,
      mode,
      participants,
      now: startedAt,
      deadlineMs: this.stageDeadlineMs(
        planned.kind === "eval"
          ? "collect_metrics"
          : mode === "secagg"
            ? "advertise_keys"
            : "collect_updates",
      ),
    });
    this.state = state;
    logger.info(
      { round: ref.round, attempt: ref.attempt, kind: planned.kind, participants: participants.length },
      "round started",
    );
    this.emit({ type: "round_started", ref, kind: planned.kind, participants });
    this.emit({ type: "stage_started", ref, stage: state.stage.name, expected: participants.length });
    this.change.notify();
    try {
      for (;;) {
        await this.waitFor(() => {
          const current = this.state;
          return current.phase === "running" && stageClosable(current, Date.now()) ? true : undefined;
        }, Number.POSITIVE_INFINITY);
        state = this.state as Running;
        const stageName = state.stage.name;
        const secaggMessages = this.closeSecAggStage(attempt, state);
        if (typeof secaggMessages === "string")
          return this.abandon(attempt, state, secaggMessages, startedAt);
        const nextName = state.stageIndex + 1;
        const advance = closeStage(
          state,
          Date.now(),
          minimum,
          this.stageDeadlineMs(this.nextStageName(state, nextName)),
        );
        this.emit({
          type: "stage_closed",
          ref,
          stage: stageName,
          answered: state.stage.answered.size,
          dropouts: pendingSites(state),
          durationMs: Date.now() - attempt.stageStartedAt,
        });
        if (advance.outcome === "abandon") return this.abandon(attempt, state, advance.reason, startedAt);
        if (advance.outcome === "complete") {
          return await this.complete(attempt, state, advance.survivors, advance.dropouts, startedAt);
        }
        attempt.outbox = secaggMessages;
        attempt.stageStartedAt = Date.now();
        this.state = advance.state;
        this.emit({
          type: "stage_started",
          ref,
          stage: advance.state.stage.name,
          expected: advance.state.stage.expected.size,
        });
        this.change.notify();
      }
    } finally {
      disposeAggregator(attempt.aggregator, logger);
      if (this.attempt === attempt) this.attempt = undefined;
      if (this.state.phase === "running") {
        this.state = { phase: "idle", completedRounds: store.completedRounds().size };
      }
    }
  }

  private nextStageName(state: Running, index: number): StageName {
    return stageSequence(state.kind, state.mode)[index] ?? state.stage.name;
  }

  /** What the audit log records about a try's settings: metadata only, never keys or tensors. */
  private roundSettings(planned: PlannedRound): { [key: string]: string | number } {
    const { config } = this.deps;
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

  private createAttempt(
    roundId: number,
    planned: PlannedRound,
    ref: RoundRef,
    participants: readonly SiteId[],
  ): Attempt {
    const { config, rng, vectorLength, ckks } = this.deps;
    let aggregator: TrainAggregator | undefined;
    let secagg: SecAggSettings | null = null;
    let he: HeSettings | null = null;
    if (planned.kind === "train") {
      switch (config.privacy.mode) {
        case "none":
          aggregator = createPlainAggregator(
            STRATEGY_INPUT[config.strategy.name] === "individual" ? "individual" : "sum",
            vectorLength,
          );
          break;
        case "secagg": {
          const { neighbourDegree, threshold } = resolveSecAggParameters(
            participants.length,
            config.privacy.secagg,
          );
          const sessionId = new Uint8Array(32);
          rng.fill(sessionId);
          const clipRange = this.clipRange();
          secagg = {
            // Unique per try, bound into every SecAgg+ signature and derived key.
            roundId: ref.round * 1000 + ref.attempt,
            sessionId,
            threshold,
            degree: neighbourDegree,
            vectorLength: vectorLength + 1,
            clipRange,
            maxSummands: participants.length,
            maxExamples: MAX_EXAMPLES,
            roster: participants.map((siteId) => ({
              siteId,
              identityKey: this.sites.get(siteId)?.record.identityKey ?? new Uint8Array(32),
            })),
          };
          aggregator = createSecAggAggregator(
            {
              roundId: secagg.roundId,
              sessionId,
              roster: participants,
              threshold,
              degree: neighbourDegree,
              vectorLength: secagg.vectorLength,
              identityKeys: new Map(secagg.roster.map((entry) => [entry.siteId, entry.identityKey])),
            },
            clipRange,
            MAX_EXAMPLES,
          );
          break;
        }
        case "he":
          if (ckks === undefined) throw new Error("he mode needs a CKKS context");
          aggregator = createHeAggregator(ckks, vectorLength);
          break;
      }
    }
    if (config.privacy.mode === "he") he = this.heSettings(planned.baseVersion);
    return {
      roundId,
      planned,
      ref,
      participants,
      aggregator,
      secagg,
      he,
      outbox: new Map(),
      tasks: new Map(),
      reports: new Map(),
      stageStartedAt: Date.now(),
    };
  }

  /** Bound on each protected coordinate: the update clip norm (an L2 bound bounds every entry). */
  private clipRange(): number {
    const { config } = this.deps;
    const clip = config.dp?.level === "site" ? config.dp.clipNorm : config.privacy.updateClipNorm;
    // The weight entry w = n_k / MAX_EXAMPLES ≤ 1 must fit as well.
    return Math.max(clip, 1);
  }

  private heSettings(version: number): HeSettings {
    const strategy = this.deps.config.strategy;
    const versions = this.deps.store.trainedRounds().filter((round) => round <= version);
    const dealer = this.ceremony?.dealer ?? "";
    return {
      keyId: this.keyId(),
      versions,
      serverLearningRate: "serverLearningRate" in strategy ? strategy.serverLearningRate : 1,
      maxExamples: MAX_EXAMPLES,
      dealerSiteId: dealer,
      dealerEnvelopePublicKey: this.sites.get(dealer)?.record.envelopeKey ?? new Uint8Array(32),
    };
  }

  /**
   * For SecAgg stages, closes the SecAgg+ server's stage too and returns the next stage's steps per
   * site, or a reason to abandon (too few sites, a partial masked input).
   */
  private closeSecAggStage(attempt: Attempt, state: Running): Map<SiteId, PollResponse> | string {
    const aggregator = attempt.aggregator;
    const steps = new Map<SiteId, PollResponse>();
    if (aggregator?.kind !== "secagg") return steps;
    let messages: ServerToClientMessage[];
    try {
      const transition = serverCloseStage(aggregator.server);
      aggregator.server = transition.state;
      messages = transition.messages;
    } catch (error) {
      if (error instanceof CryptoError) return `secure aggregation refused to go on: ${error.code}`;
      throw error;
    }
    const deadlineMs = this.stageDeadlineMs(this.nextStageName(state, state.stageIndex + 1));
    const ref = attempt.ref;
    for (const message of messages) {
      switch (message.kind) {
        case "keys-broadcast":
          steps.set(message.recipient, {
            step: "shareKeys",
            shareKeys: {
              ref,
              advertisements: message.advertisements.map((a) => ({
                siteId: a.siteId,
                encryptionPublicKey: a.encryptionPublicKey,
                maskingPublicKey: a.maskingPublicKey,
                signature: a.signature,
              })),
              deadlineMs,
            },
          });
          break;
        case "shares-delivery":
          steps.set(message.recipient, {
            step: "maskedInput",
            maskedInput: { ref, shares: [...message.shares], deadlineMs },
          });
          break;
        case "consistency-request":
          steps.set(message.recipient, {
            step: "consistency",
            consistency: { ref, survivors: [...message.survivors], deadlineMs },
          });
          break;
        case "unmask-request":
          steps.set(message.recipient, {
            step: "unmask",
            unmask: {
              ref,
              survivors: [...message.survivors],
              signatures: [...message.signatures],
              deadlineMs,
            },
          });
          break;
      }
    }
    return steps;
  }

  private recordDropouts(attempt: Attempt, state: Running, dropouts: readonly SiteId[]): void {
    for (const site of dropouts) {
      const reason = state.stage.dropped.has(site) ? "declined" : "missed the deadline";
      this.deps.store.dropParticipant(attempt.roundId, site, state.stage.name, reason);
    }
  }

  private abandon(attempt: Attempt, state: Running, reason: string, _startedAt: number): string {
    const dropouts = [...new Set([...state.lost, ...pendingSites(state)])].sort();
    this.recordDropouts(attempt, state, dropouts);
    this.deps.store.abandonRound(attempt.roundId, reason);
    this.deps.logger.warn(
      { round: attempt.ref.round, attempt: attempt.ref.attempt, reason },
      "round abandoned",
    );
    this.emit({ type: "round_abandoned", ref: attempt.ref, reason, dropouts });
    return reason;
  }

  /** Applies the strategy and commits checkpoint, round row and audit record in one write. */
  private async complete(
    attempt: Attempt,
    state: Running,
    survivors: readonly SiteId[],
    dropouts: readonly SiteId[],
    startedAt: number,
  ): Promise<string | undefined> {
    const { store, strategy, logger } = this.deps;
    let model: GlobalModel | undefined;
    let metrics: Record<string, number>;
    try {
      if (attempt.planned.kind === "eval") {
        metrics = weightedMeanMetrics([...attempt.reports.values()]);
      } else {
        const result = this.aggregate(attempt, strategy);
        model = result.model;
        metrics = result.metrics;
      }
    } catch (error) {
      if (error instanceof StrategyError || error instanceof CryptoError) {
        return this.abandon(attempt, state, `aggregation failed: ${error.message}`, startedAt);
      }
      throw error;
    }
    this.recordDropouts(attempt, state, dropouts);
    const checkpoint: Checkpoint | undefined = await store.completeRound(attempt.roundId, {
      version: attempt.ref.round,
      model,
      metrics,
      details: { survivors: [...survivors], dropouts: [...dropouts] },
    });
    if (checkpoint?.model.kind === "plain") {
      this.global = {
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
    this.emit({
      type: "round_completed",
      ref: attempt.ref,
      kind: attempt.planned.kind,
      survivors,
      dropouts,
      metrics,
      checkpointSha256: checkpoint?.sha256 ?? "",
      durationMs: Date.now() - startedAt,
    });
    return undefined;
  }

  private aggregate(
    attempt: Attempt,
    strategy: Strategy,
  ): { model: GlobalModel; metrics: Record<string, number> } {
    const aggregator = attempt.aggregator;
    const global = this.global;
    if (aggregator === undefined) throw new Error("training round without an aggregator");
    switch (aggregator.kind) {
      case "he":
        return { model: { kind: "encrypted", aggregate: aggregator.accumulator.serialize() }, metrics: {} };
      case "sum":
      case "individual": {
        if (global === undefined) throw new Error("plain aggregation without a global adapter");
        const step =
          aggregator.kind === "sum"
            ? strategy.input === "individual"
              ? undefined
              : strategy.apply(global.vector, aggregator.sum, global.strategyState)
            : strategy.input === "individual"
              ? strategy.apply(global.vector, aggregator.updates, global.strategyState)
              : undefined;
        if (step === undefined) throw new Error("strategy does not match the aggregator");
        const losses = aggregator.losses;
        const metrics =
          losses.length > 0 ? { train_loss: losses.reduce((a, b) => a + b, 0) / losses.length } : {};
        return { model: { kind: "plain", vector: step.global, strategyState: step.state }, metrics };
      }
      case "secagg": {
        if (global === undefined || strategy.input === "individual")
          throw new Error("secagg needs a sum strategy");
        const server = aggregator.server;
        if (server.stage !== "done") throw new Error("secure aggregation did not finish");
        const decoded = aggregator.codec.decodeSum(server.sum, server.survivors.length);
        const sum = weightedSumFromProtected(decoded, server.survivors.length);
        const step = strategy.apply(global.vector, sum, global.strategyState);
        return { model: { kind: "plain", vector: step.global, strategyState: step.state }, metrics: {} };
      }
    }
  }

  // ---- Handlers ----

  private seen(peer: Peer): Site {
    const site = this.known(peer);
    const now = Date.now();
    // last_seen in the store is for admins: refreshed at most every 30 s, not on every poll.
    if (now - site.lastSeen > 30_000) this.deps.store.touchSite(peer.name);
    site.lastSeen = now;
    return site;
  }

  private buildHandlers(): FederationHandlers {
    return {
      join: (peer, request) => Promise.resolve(this.join(peer, request)),
      poll: (peer, request, ctx) => this.poll(peer, request.waitMs, ctx),
      fetchAdapter: (peer, request, ctx) => this.fetchAdapter(peer, request.version, ctx),
      submitUpdate: (peer, parts, ctx) => this.submitUpdate(peer, parts, ctx),
      advertiseKeys: (peer, request) =>
        Promise.resolve(
          this.secaggMessage(peer, request.ref, "advertise_keys", (roundId) => ({
            kind: "advertise-keys",
            roundId,
            siteId: peer.name,
            encryptionPublicKey: request.encryptionPublicKey,
            maskingPublicKey: request.maskingPublicKey,
            signature: request.signature,
          })),
        ),
      shareKeys: (peer, request) =>
        Promise.resolve(
          this.secaggMessage(peer, request.ref, "share_keys", (roundId) => ({
            kind: "share-keys",
            roundId,
            siteId: peer.name,
            encryptedShares: request.shares,
          })),
        ),
      signSurvivors: (peer, request) =>
        Promise.resolve(
          this.secaggMessage(peer, request.ref, "consistency", (roundId) => ({
            kind: "consistency-signature",
            roundId,
            siteId: peer.name,
            signature: request.signature,
          })),
        ),
      unmask: (peer, request) =>
        Promise.resolve(
          this.secaggMessage(peer, request.ref, "unmask", (roundId) => ({
            kind: "unmask-response",
            roundId,
            siteId: peer.name,
            selfMaskShares: request.selfMaskShares,
            maskingKeyShares: request.maskingKeyShares,
          })),
        ),
      submitMetrics: (peer, request) =>
        Promise.resolve(this.submitMetrics(peer, request.ref, request.numExamples, request.metrics)),
      decline: (peer, request) =>
        Promise.resolve(this.decline(peer, request.ref, request.reason, request.detail)),
      publishKeys: (peer, parts, ctx) => this.publishKeys(peer, parts, ctx),
      fetchKeys: (peer, request) => this.fetchKeys(peer, request.keyId),
      exportAggregates: (peer, request, ctx) => this.exportAggregates(peer, request.round, ctx),
    };
  }

  private join(peer: Peer, request: JoinRequest): JoinResponse {
    this.checkStopped();
    const { config, store, baseModelHash, vectorLength } = this.deps;
    if (request.baseModelHash !== baseModelHash) {
      throw new FederationError(
        "failed_precondition",
        "the site's base model differs from the federation's (hash mismatch)",
      );
    }
    const payload = joinBindingPayload(peer.fingerprint, request.identityKey, request.envelopePublicKey);
    if (!verifySignature(payload, request.keyBindingSignature, request.identityKey)) {
      throw new FederationError("invalid_argument", "keyBindingSignature does not verify");
    }
    const existing = this.sites.get(peer.name);
    const sameKeys =
      existing !== undefined &&
      Buffer.compare(existing.record.identityKey, request.identityKey) === 0 &&
      Buffer.compare(existing.record.envelopeKey, request.envelopePublicKey) === 0;
    if (existing !== undefined && existing.record.fingerprint === peer.fingerprint && !sameKeys) {
      // One certificate, one identity key: a different key needs a new certificate.
      throw new FederationError("permission_denied", "this certificate is bound to another identity key");
    }
    if (existing === undefined || !sameKeys || existing.record.fingerprint !== peer.fingerprint) {
      const record: SiteRecord = {
        siteId: peer.name,
        fingerprint: peer.fingerprint,
        identityKey: new Uint8Array(request.identityKey),
        envelopeKey: new Uint8Array(request.envelopePublicKey),
        joinedAt: new Date().toISOString(),
      };
      store.saveSite(record);
      this.sites.set(peer.name, { record, lastSeen: Date.now() });
      this.emit({ type: "site_joined", siteId: peer.name });
    } else {
      existing.lastSeen = Date.now();
    }
    this.change.notify();
    return {
      siteId: peer.name,
      privacyMode: config.privacy.mode,
      vectorLength,
      totalRounds: this.plan.length,
      federationName: config.name,
      lora: { ...config.lora, targetModules: [...config.lora.targetModules] },
    };
  }

  private async poll(peer: Peer, waitMs: number, ctx: HandlerContext): Promise<PollResponse> {
    this.checkStopped();
    this.seen(peer);
    const deadline = Date.now() + Math.min(waitMs, MAX_POLL_WAIT_MS);
    for (;;) {
      const step = this.nextStep(peer.name);
      if (step !== undefined) return step;
      const left = deadline - Date.now();
      if (left <= 0 || ctx.signal.aborted || this.stopped)
        return { step: "wait", wait: { retryAfterMs: RETRY_AFTER_MS } };
      await this.change.wait(left, ctx.signal);
      const site = this.sites.get(peer.name);
      if (site !== undefined) site.lastSeen = Date.now();
    }
  }

  /**
   * The step this site should take now, marking it delivered; undefined when there is none. A site
   * still owed an answer gets its step again on every poll (stages.ts owesStep): the same task, or for
   * SecAgg stages exactly the same message, so a poll response lost on the way costs nothing.
   */
  private nextStep(site: SiteId): PollResponse | undefined {
    const state = this.state;
    if (state.phase === "finished") {
      this.informed.add(site);
      this.change.notify();
      return { step: "finished", finished: { completedRounds: state.completedRounds } };
    }
    const ceremonyStep = this.ceremonyStep(site);
    if (ceremonyStep !== undefined) return ceremonyStep;
    if (state.phase !== "running" || !owesStep(state, site)) return undefined;
    const attempt = this.attempt;
    if (attempt === undefined) return undefined;
    const { stage } = state;
    const deadlineMs = Math.max(1, stage.deadlineAt - Date.now());
    let step: PollResponse | undefined;
    switch (stage.name) {
      case "collect_updates":
      case "advertise_keys":
      case "collect_metrics":
        step = withDeadline(attempt.tasks.get(site), deadlineMs);
        if (step === undefined) {
          step =
            stage.name === "collect_metrics"
              ? { step: "eval", eval: this.evalTask(attempt, deadlineMs) }
              : { step: "train", train: this.trainTask(attempt, deadlineMs) };
          attempt.tasks.set(site, step);
        }
        break;
      case "share_keys":
      case "masked_input":
      case "consistency":
      case "unmask":
        step = attempt.outbox.get(site);
        break;
    }
    if (step === undefined) return undefined;
    if (stage.delivered.has(site)) {
      this.deps.logger.debug(
        { siteId: site, round: state.ref.round, attempt: state.ref.attempt, stage: stage.name },
        "step delivered again",
      );
    }
    this.state = markDelivered(state, site);
    return step;
  }

  private ceremonyStep(site: SiteId): PollResponse | undefined {
    const ceremony = this.ceremony;
    const record = ceremony === undefined ? undefined : this.sites.get(ceremony.dealer)?.record;
    if (ceremony === undefined) return undefined;
    const keyCeremony = (): PollResponse => ({
      step: "keyCeremony",
      keyCeremony: {
        dealer: true,
        keyId: ceremony.keyId,
        dealerSiteId: ceremony.dealer,
        dealerEnvelopePublicKey: record?.envelopeKey ?? new Uint8Array(32),
        recipients: ceremony.recipients.map((siteId) => ({
          siteId,
          envelopePublicKey: this.sites.get(siteId)?.record.envelopeKey ?? new Uint8Array(32),
        })),
        deadlineMs: Math.max(1, ceremony.deadlineAt - Date.now()),
      },
    });
    if (ceremony.done) return this.handoffStep(site, ceremony);
    if (site !== ceremony.dealer || ceremony.delivered || Date.now() > ceremony.deadlineAt) {
      return undefined;
    }
    ceremony.delivered = true;
    return keyCeremony();
  }

  /**
   * After the ceremony: plans a handoff for every online site without the key (crypto/ckks/key-ceremony.ts
   * planHandoffs) and hands `site` the handoffs it was asked to make. Only holders that owe the running
   * round nothing are asked: they are the ones polling now.
   */
  private handoffStep(site: SiteId, ceremony: KeyCeremony): PollResponse | undefined {
    const before = this.holders;
    if (before === undefined) return undefined;
    const now = Date.now();
    const online = this.onlineSites();
    const busy = new Set(this.state.phase === "running" ? pendingSites(this.state) : []);
    const planned = planHandoffs(before, {
      waiting: online.filter((s) => !holdsKey(before, s)),
      candidates: online.filter((s) => holdsKey(before, s) && !busy.has(s)),
      now,
      deadlineMs: this.deps.config.deadlines.keyCeremonyMs,
    });
    const delivery = deliverHandoffs(planned, site, now);
    this.holders = delivery.state;
    // Wake the other pollers only when the plan changed (a handoff may now wait for one of them).
    if (planned !== before) this.change.notify();
    if (delivery.recipients.length === 0) return undefined;
    this.deps.logger.info(
      { keyId: ceremony.keyId, holder: site, recipients: delivery.recipients },
      "asking a key holder to hand the consortium key on",
    );
    return {
      step: "keyCeremony",
      keyCeremony: {
        dealer: false,
        keyId: ceremony.keyId,
        dealerSiteId: ceremony.dealer,
        dealerEnvelopePublicKey: this.sites.get(ceremony.dealer)?.record.envelopeKey ?? new Uint8Array(32),
        recipients: delivery.recipients.map((siteId) => ({
          siteId,
          envelopePublicKey: this.sites.get(siteId)?.record.envelopeKey ?? new Uint8Array(32),
        })),
        deadlineMs: Math.max(1, delivery.deadlineAt - now),
      },
    };
  }

  private privacySettings(participants: number): PrivacySettings {
    const { config } = this.deps;
    const dp = config.dp;
    const joined = Math.max(participants, this.sites.size);
    return {
      mode: config.privacy.mode,
      clipNorm: dp?.level === "site" ? dp.clipNorm : config.privacy.updateClipNorm,
      noiseMultiplier: dp?.noiseMultiplier ?? 0,
      samplingRate: participants / joined,
      delta: dp?.delta ?? 0,
      dpLevel: dp?.level ?? "none",
      minSurvivors: config.sitesPerRound.minimum,
      epsilonBudget: dp?.epsilonBudget ?? 0,
      exampleClipNorm: dp?.level === "record" ? dp.clipNorm : 0,
    };
  }

  private trainTask(attempt: Attempt, deadlineMs: number): TrainTask {
    const { config } = this.deps;
    const strategy = config.strategy;
    return {
      ref: attempt.ref,
      globalVersion: attempt.planned.baseVersion,
      training: {
        localSteps: config.training.localSteps,
        batchSize: config.training.batchSize,
        learningRate: config.training.learningRate,
        maxSeqLen: config.training.maxSeqLen,
        fedproxMu: strategy.name === "fedprox" ? strategy.mu : 0,
        // Reproducible runs: one seed per (round, attempt); the prime multiplier keeps a retried
        // attempt of round r from reusing round r+1's seed.
        seed: (attempt.ref.round * 7919 + attempt.ref.attempt) >>> 0,
      },
      privacy: this.privacySettings(attempt.participants.length),
      secagg: attempt.secagg,
      participants: attempt.participants.length,
      deadlineMs,
      he: attempt.he,
    };
  }

  private evalTask(attempt: Attempt, deadlineMs: number): EvalTask {
    return { ref: attempt.ref, globalVersion: attempt.planned.baseVersion, deadlineMs, he: attempt.he };
  }

  private async *fetchAdapter(peer: Peer, version: number, ctx: HandlerContext): AsyncGenerator<DataChunk> {
    this.checkStopped();
    this.seen(peer);
    const { config, store } = this.deps;
    if (config.privacy.mode === "he") {
      const checkpoint = await store.checkpoint(version);
      if (checkpoint?.model.kind !== "encrypted")
        throw new FederationError("not_found", `no encrypted aggregate for round ${version}`);
      yield* this.countedOut(chunkBytes(checkpoint.model.aggregate, MAX_CHUNK_BYTES, 1), ctx);
      return;
    }
    const vector = await this.plainVersion(version);
    const bytes = new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
    yield* this.countedOut(chunkBytes(bytes, FLOAT_CHUNK_ELEMENTS * 4, 4), ctx);
  }

  /**
   * Yields chunks until the caller goes away, through the download gate (bounded concurrent
   * downloads), reporting the bytes sent (Prometheus bytes out).
   */
  private async *countedOut(chunks: Iterable<DataChunk>, ctx: HandlerContext): AsyncGenerator<DataChunk> {
    const release = await this.downloads.acquire(ctx.signal);
    try {
      for (const chunk of chunks) {
        if (ctx.signal.aborted) return;
        this.emit({ type: "bytes", direction: "out", bytes: chunk.data.length });
        yield chunk;
      }
    } finally {
      release();
    }
  }

  private async plainVersion(version: number): Promise<Float32Array> {
    const global = this.global;
    if (global !== undefined && global.version === version) return global.vector;
    if (version === 0) return this.deps.initialGlobal;
    const checkpoint = await this.deps.store.checkpoint(version);
    if (checkpoint?.model.kind !== "plain")
      throw new FederationError("not_found", `no global adapter of version ${version}`);
    return checkpoint.model.vector;
  }

  /**
   * The slot is taken before the first message is read: a transport reads ahead into its buffers as
   * soon as a stream is consumed (grpc-js: up to 16 messages), so a stream must not be touched while
   * it waits, or every waiting site's whole update would sit in memory.
   */
  private async submitUpdate(
    peer: Peer,
    parts: AsyncIterable<UpdatePart>,
    ctx: HandlerContext,
  ): Promise<Ack> {
    this.checkStopped();
    this.seen(peer);
    return this.gate.run(() => this.receiveUpdate(peer, parts, ctx), ctx.signal);
  }

  private async receiveUpdate(
    peer: Peer,
    parts: AsyncIterable<UpdatePart>,
    ctx: HandlerContext,
  ): Promise<Ack> {
    this.checkStopped();
    const iterator = parts[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done === true || first.value.part !== "header") {
      throw new FederationError("invalid_argument", "an update stream starts with its header");
    }
    const header = first.value.header;
    const stage: StageName = this.deps.config.privacy.mode === "secagg" ? "masked_input" : "collect_updates";
    checkTurn(this.state, peer.name, header.ref, stage);
    const aggregator = this.attempt?.aggregator;
    if (aggregator === undefined)
      throw new FederationError("failed_precondition", "no training round is collecting updates");
    const encoding = encodingOf(aggregator);
    if (header.encoding !== encoding) {
      throw new FederationError(
        "invalid_argument",
        `this round expects a ${encoding} update, got ${header.encoding}`,
      );
    }
    const length = expectedLength(aggregator, this.deps.vectorLength);
    if (length !== undefined && header.length !== length) {
      throw new FederationError(
        "invalid_argument",
        `update must hold exactly ${length} values, announced ${header.length}`,
      );
    }
    const unit = encoding === "ciphertext" ? 1 : 4;
    const chunks = (async function* () {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield next.value.part === "chunk" ? next.value.chunk : undefined;
      }
    })();
    // A site that stalls mid-upload must not hold its slot past the stage's deadline.
    const running = this.state.phase === "running" ? this.state : undefined;
    const bytes = await beforeDeadline(
      collectChunks(chunks, header.length * unit, unit),
      (running?.stage.deadlineAt ?? Date.now()) - Date.now(),
    );
    if (ctx.signal.aborted) throw new FederationError("cancelled", "upload cancelled");
    this.bytesIn(bytes.length);
    // The stage may have moved while the bytes arrived: check again, then commit in one synchronous step.
    const state = checkTurn(this.state, peer.name, header.ref, stage);
    if (this.attempt?.aggregator !== aggregator)
      throw new FederationError("failed_precondition", "the round moved on");
    acceptUpdate(aggregator, peer.name, header, bytes);
    this.state = markAnswered(state, peer.name);
    this.change.notify();
    return { note: `update for ${refText(header.ref)} accepted` };
  }

  private bytesIn(bytes: number): void {
    this.emit({ type: "bytes", direction: "in", bytes });
  }

  private secaggMessage(
    peer: Peer,
    ref: RoundRef,
    stage: StageName,
    message: (roundId: number) => Parameters<typeof serverReceive>[1],
  ): Ack {
    this.checkStopped();
    this.seen(peer);
    const state = checkTurn(this.state, peer.name, ref, stage);
    const aggregator = this.attempt?.aggregator;
    if (aggregator?.kind !== "secagg")
      throw new FederationError("failed_precondition", "this round does not use secure aggregation");
    try {
      aggregator.server = serverReceive(aggregator.server, message(aggregator.config.roundId));
    } catch (error) {
      translateCryptoError(error);
    }
    this.state = markAnswered(state, peer.name);
    this.change.notify();
    return { note: `${stage} for ${refText(ref)} accepted` };
  }

  private submitMetrics(
    peer: Peer,
    ref: RoundRef,
    numExamples: number,
    metrics: Readonly<Record<string, number>>,
  ): Ack {
    this.checkStopped();
    this.seen(peer);
    const state = checkTurn(this.state, peer.name, ref, "collect_metrics");
    const attempt = this.attempt;
    if (attempt === undefined)
      throw new FederationError("failed_precondition", "no evaluation round is running");
    attempt.reports.set(peer.name, { numExamples, metrics });
    this.state = markAnswered(state, peer.name);
    this.change.notify();
    return { note: `metrics for ${refText(ref)} accepted` };
  }

  private decline(peer: Peer, ref: RoundRef, reason: string, detail: string): Ack {
    this.checkStopped();
    this.seen(peer);
    const state = this.state;
    if (state.phase !== "running" || state.ref.round !== ref.round || state.ref.attempt !== ref.attempt) {
      throw new FederationError("failed_precondition", "no such round try is running");
    }
    if (!pendingSites(state).includes(peer.name)) {
      throw new FederationError("failed_precondition", "this site owes nothing in the current stage");
    }
    this.state = markDropped(state, peer.name);
    this.deps.store.audit("site_declined", {
      round: ref.round,
      attempt: ref.attempt,
      siteId: peer.name,
      reason,
    });
    this.deps.logger.warn({ siteId: peer.name, round: ref.round, reason, detail }, "site declined the round");
    this.emit({ type: "site_declined", ref, siteId: peer.name, reason });
    this.change.notify();
    return { note: "decline recorded" };
  }

  /**
   * The dealer's envelopes of a running ceremony, or after it a key holder's handoff envelopes for the
   * late sites it was asked to key (crypto/ckks/key-ceremony.ts acceptHandoff).
   */
  private async publishKeys(peer: Peer, parts: AsyncIterable<KeyPart>, ctx: HandlerContext): Promise<Ack> {
    this.checkStopped();
    this.seen(peer);
    const ceremony = this.ceremony;
    const dealing =
      ceremony !== undefined && !ceremony.done && ceremony.dealer === peer.name && ceremony.delivered;
    const handoffs =
      ceremony?.done === true && this.holders !== undefined
        ? deliveredHandoffs(this.holders, peer.name, Date.now())
        : [];
    if (ceremony === undefined || (!dealing && handoffs.length === 0)) {
      throw new FederationError(
        "failed_precondition",
        "this site is not the dealer of a running key ceremony, nor asked to hand the key on",
      );
    }
    const expected = dealing ? ceremony.recipients : handoffs;
    const envelopes = await this.readEnvelopes(peer, parts, ceremony.keyId, expected, ctx);
    if (!dealing) return this.completeHandoff(peer, ceremony.keyId, envelopes);
    if (envelopes.size !== ceremony.recipients.length) {
      throw new FederationError("invalid_argument", "one envelope per recipient is required");
    }
    if (Date.now() > ceremony.deadlineAt || this.ceremony !== ceremony) {
      throw new FederationError("failed_precondition", "the key ceremony is over");
    }
    this.deps.store.saveEnvelopes(ceremony.keyId, ceremony.dealer, envelopes);
    ceremony.done = true;
    this.change.notify();
    return { note: "envelopes stored" };
  }

  /** Reads a PublishKeys stream: per envelope a header naming an expected recipient, then its chunks. */
  private async readEnvelopes(
    peer: Peer,
    parts: AsyncIterable<KeyPart>,
    ceremonyKeyId: string,
    expected: readonly SiteId[],
    ctx: HandlerContext,
  ): Promise<Map<SiteId, Uint8Array>> {
    const iterator = parts[Symbol.asyncIterator]();
    const envelopes = new Map<SiteId, Uint8Array>();
    let pending = await iterator.next();
    while (pending.done !== true) {
      const part = pending.value;
      if (part.part !== "header")
        throw new FederationError("invalid_argument", "each envelope starts with its header");
      const { keyId, recipient, length, sealerSiteId } = part.header;
      if (keyId !== ceremonyKeyId)
        throw new FederationError("invalid_argument", "envelope for another ceremony");
      if (sealerSiteId !== "" && sealerSiteId !== peer.name)
        throw new FederationError("invalid_argument", "an uploaded envelope's sealer is its uploader");
      if (!expected.includes(recipient) || envelopes.has(recipient)) {
        throw new FederationError("invalid_argument", "envelope for an unexpected or repeated recipient");
      }
      let nextHeader: IteratorResult<KeyPart> | undefined;
      const chunks = (async function* () {
        for (;;) {
          const next = await iterator.next();
          if (next.done === true || next.value.part === "header") {
            nextHeader = next;
            return;
          }
          yield next.value.chunk;
        }
      })();
      envelopes.set(recipient, await collectChunks(chunks, length, 1));
      if (ctx.signal.aborted) throw new FederationError("cancelled", "upload cancelled");
      pending = nextHeader ?? { done: true, value: undefined };
    }
    return envelopes;
  }

  /** Stores a handoff's envelopes (with the audit entry) and makes their recipients key holders. */
  private completeHandoff(peer: Peer, keyId: string, envelopes: ReadonlyMap<SiteId, Uint8Array>): Ack {
    const holders = this.holders;
    if (holders === undefined || holders.keyId !== keyId)
      throw new FederationError("failed_precondition", "no key handoff is running");
    let next: KeyHolders;
    try {
      next = acceptHandoff(holders, peer.name, [...envelopes.keys()], Date.now());
    } catch (error) {
      if (error instanceof CryptoError)
        throw new FederationError("failed_precondition", `handoff refused: ${error.code}`, error.message);
      throw error;
    }
    this.deps.store.saveHandoff(keyId, peer.name, envelopes);
    this.holders = next;
    this.deps.logger.info({ keyId, holder: peer.name, recipients: [...envelopes.keys()] }, "key handed on");
    this.change.notify();
    return { note: "envelopes stored" };
  }

  /** A site's own envelope, with its sealer (the dealer, or the holder that keyed it late). */
  private async *fetchKeys(peer: Peer, keyId: string): AsyncGenerator<KeyPart> {
    this.checkStopped();
    // Authenticated, but not counted as online: an exporting site fetches its key too.
    this.known(peer);
    const { store } = this.deps;
    const envelope = store.envelope(keyId, peer.name);
    if (envelope === undefined) throw new FederationError("not_found", "no key envelope for this site");
    const sealer = store.envelopeSealer(keyId, peer.name);
    const sealerKey = sealer === undefined ? undefined : this.sites.get(sealer)?.record.envelopeKey;
    if (sealer === undefined || sealerKey === undefined)
      throw new FederationError("internal", "the key envelope's sealer is unknown");
    yield {
      part: "header",
      header: {
        keyId,
        recipient: peer.name,
        length: envelope.length,
        sealerSiteId: sealer,
        sealerEnvelopePublicKey: sealerKey,
      },
    };
    for (const chunk of chunkBytes(envelope, MAX_CHUNK_BYTES, 1)) yield { part: "chunk", chunk };
    await Promise.resolve();
  }

  /**
   * he mode export at a site: the manifest of round `round` (0 = the last completed training round),
   * then every aggregate up to it behind its recorded SHA-256. The coordinator re-checks each checkpoint
   * against that hash as it reads it; the site checks what arrives against it again.
   */
  private async *exportAggregates(
    peer: Peer,
    round: number,
    ctx: HandlerContext,
  ): AsyncGenerator<ExportPart> {
    this.checkStopped();
    this.known(peer);
    const { config, store, vectorLength } = this.deps;
    if (config.privacy.mode !== "he") {
      throw new FederationError(
        "failed_precondition",
        `this federation runs in privacy mode ${config.privacy.mode}: its global adapter is exported at the coordinator (fedtune export --config)`,
      );
    }
    const picked = pickTrainedRound(store.trainedRounds(), round === 0 ? undefined : round);
    if ("problem" in picked) throw new FederationError("not_found", picked.problem);
    const target = picked.round;
    const he = this.heSettings(target);
    yield {
      part: "manifest",
      manifest: {
        siteId: peer.name,
        round: target,
        keyId: he.keyId,
        serverLearningRate: he.serverLearningRate,
        vectorLength,
        lora: { ...config.lora, targetModules: [...config.lora.targetModules] },
        versions: he.versions,
      },
    };
    for (const version of he.versions) {
      let aggregate: Uint8Array;
      let sha256: string;
      try {
        const checkpoint = await store.checkpoint(version);
        if (checkpoint?.model.kind !== "encrypted")
          throw new FederationError("not_found", `no encrypted aggregate for round ${version}`);
        aggregate = checkpoint.model.aggregate;
        sha256 = checkpoint.sha256;
      } catch (error) {
        if (error instanceof CheckpointError)
          throw new FederationError(
            "failed_precondition",
            `the coordinator's aggregate of round ${version} does not match its recorded SHA-256`,
            error.message,
          );
        throw error;
      }
      yield { part: "aggregate", aggregate: { round: version, sha256, length: aggregate.length } };
      for await (const chunk of this.countedOut(chunkBytes(aggregate, MAX_CHUNK_BYTES, 1), ctx))
        yield { part: "chunk", chunk };
    }
  }

  /** The caller is a joined site with the certificate it joined with; unlike seen(), not marked online. */
  private known(peer: Peer): Site {
    const site = this.sites.get(peer.name);
    if (site === undefined || site.record.fingerprint !== peer.fingerprint) {
      throw new FederationError("failed_precondition", "join the federation first");
    }
    return site;
  }
}

/** A train or eval task handed again: the same task, its relative deadline counted from now. */
function withDeadline(step: PollResponse | undefined, deadlineMs: number): PollResponse | undefined {
  if (step?.step === "train") return { step: "train", train: { ...step.train, deadlineMs } };
  if (step?.step === "eval") return { step: "eval", eval: { ...step.eval, deadlineMs } };
  return step;
}

/** Settles with `work`, or rejects with DEADLINE_EXCEEDED after `ms`. */
async function beforeDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FederationError("deadline_exceeded", "the stage's deadline passed during the upload")),
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Example-weighted mean of each metric over the sites that reported it. */
function weightedMeanMetrics(reports: readonly EvalReport[]): Record<string, number> {
  const sums = new Map<string, { total: number; weight: number }>();
  for (const report of reports) {
    const weight = Math.max(1, report.numExamples);
    for (const [name, value] of Object.entries(report.metrics)) {
      const entry = sums.get(name) ?? { total: 0, weight: 0 };
      entry.total += weight * value;
      entry.weight += weight;
      sums.set(name, entry);
    }
  }
  const out: Record<string, number> = {};
  for (const [name, { total, weight }] of sums) out[name] = total / weight;
  const examples = reports.reduce((sum, report) => sum + report.numExamples, 0);
  if (reports.length > 0) out["examples"] = examples;
  return out;
}
