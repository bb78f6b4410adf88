// What a privacy mode does at the coordinator: one driver per run, one try object per round try (STYLE.md item 15).
import type { Logger } from "pino";
import { FederationError } from "../../proto/errors.ts";
import type { CkksContext } from "../../crypto/ckks/context.ts";
import type { Rng } from "../../crypto/rng.ts";
import type {
  DataChunk,
  HeSettings,
  PollResponse,
  PrivacyMode,
  RoundRef,
  SecAggSettings,
  UpdateEncoding,
  UpdateHeader,
} from "../../proto/messages.ts";
import type { FederationHandlers, HandlerContext, Peer } from "../../proto/rpc.ts";
import type { SecAggStageCall } from "../../proto/secagg-steps.ts";
import type { EvalReport } from "../../strategies/eval-report.ts";
import type { Strategy, StrategyState } from "../../strategies/index.ts";
import type { FederationConfig } from "../config.ts";
import type { PlannedRound } from "../round/plan.ts";
import type { Running, SiteId, StageName } from "../round/stages.ts";
import type { DurableState } from "../service/durable-state.ts";
import type { CoordinatorEvent, GlobalModel, SiteRecord } from "../service/records.ts";

/** Why a try cannot go on (too few sites for SecAgg+, an aggregate that does not decode): it is abandoned. */
export interface Refusal {
  readonly refused: string;
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === "object" && value !== null && "refused" in value;
}

/** What closeStage returns for modes without further stages. */
export const NO_STEPS: ReadonlyMap<SiteId, PollResponse> = new Map();

/** The global adapter of the plain modes (none, secagg), with the strategy's server state. */
export interface PlainGlobal {
  readonly version: number;
  readonly vector: Float32Array;
  readonly strategyState: StrategyState;
}

/** What a finished try hands the round runner to commit. */
export interface TryResult {
  /** The new global model (training tries), undefined for evaluation. */
  readonly model: GlobalModel | undefined;
  readonly metrics: Record<string, number>;
}

export type { EvalReport };

/** Refusals of what only some tries take, with the public messages the sites see. */
export function refuseStageMessage(): never {
  throw new FederationError("failed_precondition", "this round does not use secure aggregation");
}

export function refuseMetrics(): never {
  throw new FederationError("failed_precondition", "no evaluation round is running");
}

/** Where and how a try accepts update uploads (SubmitUpdate). */
export interface UploadSpec {
  readonly stage: StageName;
  readonly encoding: UpdateEncoding;
  /** Elements the header must announce; undefined for ciphertext bytes (checked as they are loaded). */
  readonly length: number | undefined;
}

/**
 * One round try under one privacy mode: set up by {@link ModeDriver.openTry}, fed uploads and stage
 * messages, asked to close each stage, and finished with the aggregate or a refusal. Every `accept…`
 * validates its input fully before touching the try's state, so a refused message changes nothing.
 */
export interface ModeTry {
  /** Which implementation this is: the Attempt is a discriminated union through it. */
  readonly kind: "plain" | "secagg" | "he" | "evaluation";
  /** The SecAgg+ settings site `site`'s train or eval task carries (tailored to it: proto/secagg-steps.ts). */
  secaggFor(site: SiteId): SecAggSettings | null;
  readonly he: HeSettings | null;
  /** undefined when this try takes no uploads (evaluation). */
  readonly upload: UploadSpec | undefined;
  acceptUpload(site: SiteId, header: UpdateHeader, bytes: Uint8Array): void;
  /** A SecAgg+ stage RPC; modes without stages refuse it. */
  acceptStageMessage(site: SiteId, call: SecAggStageCall): void;
  /** A plain evaluation report (mode none); the other tries refuse it. */
  acceptMetrics(site: SiteId, report: EvalReport): void;
  /** Closes the try's current stage; returns the next stage's steps per site, or a refusal. */
  closeStage(state: Running, nextDeadlineMs: number): ReadonlyMap<SiteId, PollResponse> | Refusal;
  /** The try's result once every stage closed; he mode awaits the key holders' decryption here. */
  finish(
    global: PlainGlobal | undefined,
    strategy: Strategy,
  ): TryResult | Refusal | Promise<TryResult | Refusal>;
  /** Frees native memory (CKKS); called once, whatever the outcome. */
  dispose(): void;
}

/** The input of a try: the store's id, the planned round, the try's ref and its participants. */
export interface TryInput {
  readonly roundId: number;
  readonly planned: PlannedRound;
  readonly ref: RoundRef;
  readonly participants: readonly SiteId[];
}

/** The service as a mode sees it: config, durable state, the site registry and the change signal. */
export interface ModeHost {
  readonly config: FederationConfig;
  readonly store: DurableState;
  readonly rng: Rng;
  readonly logger: Logger;
  readonly vectorLength: number;
  readonly ckks: CkksContext | undefined;
  /** Sites expected at the start (see CoordinatorDeps.sitesToStart). */
  readonly sitesToStart: number | undefined;
  record(site: SiteId): SiteRecord | undefined;
  knownSites(): SiteId[];
  /** Online sites that may take part now (neither revoked nor dropped from the round in progress). */
  onlineSites(): SiteId[];
  /** Whether `site` was revoked or dropped from the round in progress (coordinator/service/site-control.ts). */
  isExcluded(site: SiteId): boolean;
  emit(event: CoordinatorEvent): void;
  notify(): void;
  waitFor<T>(ready: () => T | undefined, timeoutMs: number): Promise<T | undefined>;
  /** The plaintext global adapter of `version` (plain modes). */
  plainGlobal(version: number): Promise<Float32Array>;
  /** Streams chunks to a site through the download gate, counting the bytes sent. */
  countedOut(chunks: Iterable<DataChunk>, peer: Peer, ctx: HandlerContext): AsyncGenerator<DataChunk>;
}

/** The RPCs a mode may add to the federation service (he: the key ceremony and the site-side export). */
export type ModeRpcs = Pick<FederationHandlers, "publishKeys" | "fetchKeys" | "exportAggregates">;

/** A privacy mode for a whole run: picked once (modes/select.ts), asked for each training try. */
export interface ModeDriver {
  readonly mode: PrivacyMode;
  /** Whether the coordinator holds the global adapter in the clear (and resumes it from checkpoints). */
  readonly plainGlobal: boolean;
  /** Before the first round (he: the key ceremony). */
  prepareRun(): Promise<void>;
  /** Which of the online sites may be picked for a try. */
  eligible(online: readonly SiteId[]): SiteId[];
  /** A step for `site` outside round tries (he: key ceremony, decryption shares); undefined when none. */
  stepOutsideRounds(site: SiteId): PollResponse | undefined;
  /** The bytes of the global adapter of `version` as FetchAdapter serves them (unit: element size). */
  adapterDownload(version: number): Promise<{ readonly bytes: Uint8Array; readonly unit: 1 | 4 }>;
  openTrainingTry(input: TryInput): ModeTry;
  /** An evaluation try: the sites' counts summed under the mode's protection (modes/evaluation.ts). */
  openEvaluationTry(input: TryInput): ModeTry;
  readonly rpcs: ModeRpcs;
}
