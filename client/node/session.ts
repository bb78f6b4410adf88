// A site's session with the coordinator: the connection and its call options, retries, events, fault hooks and
// the round's protect-time account. The site's modes and steps work through it.
import type { Logger } from "pino";
import type { CkksContext } from "../../crypto/ckks/context.ts";
import { NO_REVOCATIONS, PkiError, type Revocations } from "../../crypto/pki/identity.ts";
import {
  verifyRelayedSiteKeys,
  type RelayedSiteKeys,
  type TrustAnchor,
} from "../../crypto/pki/key-binding.ts";
import type { Rng } from "../../crypto/rng.ts";
import type { SiteId } from "../../crypto/site-id.ts";
import { FederationError } from "../../proto/errors.ts";
import type { RoundRef } from "../../proto/messages.ts";
import type { SecAggStage } from "../../proto/secagg-steps.ts";
import type { Connection, DialFunction, TlsIdentity } from "../../proto/transport.ts";
import type { SiteKeys } from "./site-state.ts";
import type { SitePolicy } from "./run-policy.ts";
import type { LocalTrainer, TrainerFactory } from "./trainer.ts";

/** Where a site is in a round, as fault hooks and progress events name it. */
export type SiteStage = "train" | SecAggStage | "submit" | "eval" | "key_ceremony" | "decrypt";

/** The ref he mode's key ceremony reports its stages under: it belongs to no round. */
export const CEREMONY_REF: RoundRef = { round: 0, attempt: 0 };

export type SiteEvent =
  | { readonly type: "joined"; readonly siteId: string; readonly privacyMode: string }
  | { readonly type: "stage"; readonly ref: RoundRef; readonly stage: SiteStage }
  | {
      readonly type: "trained";
      readonly ref: RoundRef;
      readonly numExamples: number;
      readonly trainLoss: number;
      /** True when the update was trained for an earlier try of this round with the same settings. */
      readonly reused: boolean;
      /** Wall time of the local training, in ms (0 for a reused update). */
      readonly trainMs: number;
    }
  | {
      readonly type: "submitted";
      readonly ref: RoundRef;
      readonly sentBytes: number;
      /**
       * Time this site spent computing its protection this round (clipping and noise, weighting,
       * fixed-point encoding, SecAgg key agreement, Shamir, masking and signatures, CKKS encryption), in
       * ms: the site's own work, which runs in parallel across sites in a deployment.
       */
      readonly protectMs: number;
    }
  | {
      /** he mode: this key holder answered the decryption of `ref`'s aggregate (after its own "submitted"). */
      readonly type: "decryption-share";
      readonly ref: RoundRef;
      /** Time spent checking the aggregate, computing the share and sealing it, in ms: protect work too. */
      readonly protectMs: number;
    }
  | { readonly type: "declined"; readonly ref: RoundRef; readonly reason: string; readonly detail: string }
  | { readonly type: "evaluated"; readonly ref: RoundRef; readonly metrics: Readonly<Record<string, number>> }
  | { readonly type: "dropped"; readonly ref: RoundRef; readonly stage: SiteStage; readonly reason: string }
  | { readonly type: "privacy"; readonly epsilon: number; readonly budget: number }
  | { readonly type: "finished"; readonly completedRounds: number };

/** Fault injection for the simulation: called before each stage; "drop" silences the site for this try. */
export interface SiteFaults {
  beforeStage?(stage: SiteStage, ref: RoundRef): "continue" | "drop" | Promise<"continue" | "drop">;
}

export interface SiteClientOptions {
  readonly coordinator: string;
  readonly stateDir: string;
  readonly tls: TlsIdentity;
  readonly dial: DialFunction;
  readonly logger: Logger;
  /** Keys, masks, stochastic rounding and DP noise: a CSPRNG in production. */
  readonly rng: Rng;
  /** Hex SHA-256 of the local base model weights, checked against the federation's at Join. */
  readonly baseModelHash: string;
  readonly createTrainer: TrainerFactory;
  /**
   * Build the trainer for each round this site takes part in and release it after the round (default
   * false: one trainer for the whole run). Many sites hosted on one machine (`fedtune sim`) then hold no
   * adapter, optimizer or rows while not picked; the factory must keep what lasts between rounds (the
   * optimizer's moments, EngineTrainerOptions.optimizerStore) outside the trainer.
   */
  readonly trainerPerRound?: boolean;
  /** he mode: the CKKS context (public parameters). */
  readonly ckks?: () => Promise<CkksContext>;
  /** The site's own ε cap; the federation's budget applies when it is smaller or this is unset. */
  readonly epsilonBudget?: number;
  /** The tasks this site takes; one the policy refuses is declined with the reason. */
  readonly policy?: SitePolicy;
  readonly onEvent?: (event: SiteEvent) => void;
  readonly faults?: SiteFaults;
  /** Longest long-poll (default 10 s). */
  readonly pollWaitMs?: number;
  /** Deadline of unary calls other than Poll (default 30 s) and of streams (default 10 min). */
  readonly callDeadlineMs?: number;
  readonly streamDeadlineMs?: number;
  /**
   * Stay connected when a run finishes and take part in the next one (a long-lived coordinator's queue);
   * default false: the client returns when its run finishes (`fedtune sim`, `fedtune client start --once`).
   */
  readonly stayConnected?: boolean;
  /** While no run is in progress: how often a connected site asks for the next one (default 5 s). */
  readonly nextRunPollMs?: number;
}

/** Thrown inside a round to stop taking part in it (a fault hook said "drop", or the round moved on). */
export class LeaveRound extends Error {
  constructor(
    readonly stage: SiteStage,
    reason: string,
  ) {
    super(reason);
  }
}

function isTransient(error: unknown): boolean {
  return (
    error instanceof FederationError &&
    (error.code === "unavailable" || error.code === "deadline_exceeded" || error.code === "cancelled")
  );
}

/** The first wait before a retry, and the most any retry waits (see SiteSession.withBackoff). */
export const BACKOFF_FIRST_MS = 100;
export const BACKOFF_CAP_MS = 1_000;

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

export class SiteSession {
  readonly connection: Connection;
  private readonly stopController = new AbortController();
  private joinedSiteId: SiteId | undefined;
  private joinedTrainer: LocalTrainer | undefined;
  /** Builds the run's trainer (the federation's LoRA settings, from Join). */
  private buildTrainer: (() => Promise<LocalTrainer>) | undefined;
  /** Protect time of the round in progress (see the "submitted" event). */
  private protectMs = 0;
  /** Revoked certificates as this site knows them; peers' keys are checked against them. */
  private revocations: Revocations = NO_REVOCATIONS;

  constructor(
    readonly options: SiteClientOptions,
    readonly keys: SiteKeys,
  ) {
    this.connection = options.dial({ address: options.coordinator, tls: options.tls });
  }

  get signal(): AbortSignal {
    return this.stopController.signal;
  }

  get logger(): Logger {
    return this.options.logger;
  }

  get rng(): Rng {
    return this.options.rng;
  }

  /**
   * Records what Join established: this site's name and its trainer, built by `build` (checked at Join,
   * then kept, or with trainerPerRound released until a round needs it).
   */
  joined(siteId: SiteId, trainer: LocalTrainer, build: () => Promise<LocalTrainer>): void {
    this.joinedSiteId = siteId;
    this.buildTrainer = build;
    this.joinedTrainer = trainer;
    this.releaseRoundTrainer();
  }

  /** Before a round's work: the trainer, built again if it was released after the last round. */
  async holdTrainer(): Promise<void> {
    if (this.joinedTrainer !== undefined) return;
    if (this.buildTrainer === undefined) throw new Error("not joined");
    this.joinedTrainer = await this.buildTrainer();
  }

  /** After a round's work, with trainerPerRound: the trainer goes until the next round that needs one. */
  releaseRoundTrainer(): void {
    if (this.options.trainerPerRound !== true) return;
    this.joinedTrainer?.dispose();
    this.joinedTrainer = undefined;
  }

  /** From now on, peers' certificates are checked against `revocations` (acceptRevocationList at Join). */
  trustRevocations(revocations: Revocations): void {
    this.revocations = revocations;
  }

  /** What this site trusts its peers' keys to: its own copy of the CA certificate and the revocations it knows. */
  peerTrust(): TrustAnchor {
    return { caCert: this.options.tls.caPem, revocations: this.revocations };
  }

  /**
   * `peers` once every one's keys verify against {@link peerTrust} (crypto/pki/key-binding.ts): a key the
   * coordinator chose itself, or a foreign or revoked certificate, is refused before any key is used.
   */
  certifiedPeers<T extends RelayedSiteKeys>(peers: readonly T[]): T[] {
    try {
      return [...verifyRelayedSiteKeys(peers, this.peerTrust())];
    } catch (error) {
      if (error instanceof PkiError)
        throw new FederationError("permission_denied", `peer keys refused: ${error.message}`);
      throw error;
    }
  }

  siteId(): SiteId {
    if (this.joinedSiteId === undefined) throw new Error("not joined");
    return this.joinedSiteId;
  }

  /** Between runs: the trainer built for the run that finished is released (the next join builds one). */
  leaveRun(): void {
    this.joinedTrainer?.dispose();
    this.joinedTrainer = undefined;
    this.buildTrainer = undefined;
  }

  trainerIfJoined(): LocalTrainer | undefined {
    return this.joinedTrainer;
  }

  trainer(): LocalTrainer {
    if (this.joinedTrainer === undefined) throw new Error("no trainer: not joined, or outside a round");
    return this.joinedTrainer;
  }

  stop(): void {
    this.stopController.abort();
  }

  emit(event: SiteEvent): void {
    this.options.onEvent?.(event);
  }

  unaryOptions(): { deadlineMs: number; signal: AbortSignal } {
    return { deadlineMs: this.options.callDeadlineMs ?? 30_000, signal: this.signal };
  }

  streamOptions(): { deadlineMs: number; signal: AbortSignal } {
    return { deadlineMs: this.options.streamDeadlineMs ?? 600_000, signal: this.signal };
  }

  /**
   * Retries transient failures (coordinator restarting, network) with capped exponential backoff and
   * jitter: the n-th wait is drawn from [½, 1] × min(BACKOFF_FIRST_MS · 2ⁿ, BACKOFF_CAP_MS), so a federation's
   * sites do not all call back at the same instant, and each is back within about a second of the
   * coordinator. Each call starts from the first wait again: a success resets the backoff.
   */
  async withBackoff<T>(what: string, call: () => Promise<T>): Promise<T> {
    let ceiling = BACKOFF_FIRST_MS;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!isTransient(error) || this.signal.aborted) throw error;
        const delay = Math.round(ceiling * (0.5 + 0.5 * this.rng.nextFloat64()));
        this.logger.warn(
          { what, retryInMs: delay, err: (error as Error).message },
          "coordinator unreachable",
        );
        await sleep(delay, this.signal);
        ceiling = Math.min(ceiling * 2, BACKOFF_CAP_MS);
      }
    }
  }

  /** Enters a stage: the progress event, then the fault hook ("drop" leaves the round). */
  async stage(stage: SiteStage, ref: RoundRef): Promise<void> {
    this.emit({ type: "stage", ref, stage });
    const verdict = (await this.options.faults?.beforeStage?.(stage, ref)) ?? "continue";
    if (verdict === "drop") throw new LeaveRound(stage, "fault injection: dropping out");
    if (this.signal.aborted) throw new LeaveRound(stage, "stopping");
  }

  /** Starts a round's protect-time account; returns the time spent so far in the previous one. */
  resetProtectTime(): void {
    this.protectMs = 0;
  }

  protectTimeMs(): number {
    return this.protectMs;
  }

  /** Runs a synchronous protect step, adding its duration to this round's protect time. */
  protect<T>(step: () => T): T {
    const started = performance.now();
    try {
      return step();
    } finally {
      this.protectMs += performance.now() - started;
    }
  }

  /** Pulls `source` through {@link protect}: for bytes produced as they are sent. */
  *protectEach<T>(source: Iterator<T>): Generator<T> {
    for (;;) {
      const next = this.protect(() => source.next());
      if (next.done === true) return;
      yield next.value;
    }
  }

  async ckks(): Promise<CkksContext> {
    if (this.options.ckks === undefined) throw new Error("he mode needs a CKKS context");
    return this.options.ckks();
  }
}
