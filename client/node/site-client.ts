// The site client: joins, pulls tasks, trains locally, protects its update as the round asks, submits.
import { createHash, X509Certificate } from "node:crypto";
import type { Logger } from "pino";
import type { CkksContext } from "../../crypto/ckks/context.ts";
import { handOnConsortiumKey, openConsortiumKey, sealConsortiumKey } from "../../crypto/ckks/key-ceremony.ts";
import {
  generateConsortiumSecretKey,
  openSiteSession,
  type CkksSiteSession,
} from "../../crypto/ckks/site.ts";
import { createFixedPointCodec } from "../../crypto/codec.ts";
import { clipL2 } from "../../crypto/dp/clip.ts";
import { privatizeUpdate } from "../../crypto/dp/distributed-noise.ts";
import {
  chargePrivacy,
  PrivacyBudgetExceededError,
  spentEpsilon,
  type LedgerEntry,
} from "../../crypto/dp/ledger.ts";
import { joinBindingPayload, signMessage } from "../../crypto/keys.ts";
import type { Rng } from "../../crypto/rng.ts";
import {
  clientDispose,
  clientMaskInput,
  clientReceive,
  createClient,
  type ClientState,
} from "../../crypto/secagg/client.ts";
import { prepareRound, type SecAggConfig } from "../../crypto/secagg/round.ts";
import { chunkBytes, collectChunks, asFloat32 } from "../../proto/chunks.ts";
import { FederationError } from "../../proto/errors.ts";
import { FLOAT_CHUNK_ELEMENTS, MAX_CHUNK_BYTES } from "../../proto/limits.ts";
import type {
  EvalTask,
  HeSettings,
  JoinResponse,
  KeyCeremonyStep,
  KeyPart,
  PollResponse,
  RoundRef,
  TrainTask,
  UpdateHeader,
  UpdatePart,
} from "../../proto/messages.ts";
import type { CallOptions, FederationStub } from "../../proto/rpc.ts";
import type { Connection, DialFunction, TlsIdentity } from "../../proto/transport.ts";
import { LedgerFile, loadOrCreateSiteKeys, type SiteKeys } from "./site-state.ts";
import type { LocalTrainer, LocalUpdate, TrainerFactory } from "./trainer.ts";

/** Where a site is in a round, as fault hooks and progress events name it. */
export type SiteStage =
  | "train"
  | "advertise_keys"
  | "share_keys"
  | "masked_input"
  | "consistency"
  | "unmask"
  | "submit"
  | "eval"
  | "key_ceremony";

export type SiteEvent =
  | { readonly type: "joined"; readonly siteId: string; readonly privacyMode: string }
  | { readonly type: "stage"; readonly ref: RoundRef; readonly stage: SiteStage }
  | {
      readonly type: "trained";
      readonly ref: RoundRef;
      readonly numExamples: number;
      readonly trainLoss: number;
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
  /** he mode: the CKKS context (public parameters). */
  readonly ckks?: () => Promise<CkksContext>;
  /** The site's own ε cap; the federation's budget applies when it is smaller or this is unset. */
  readonly epsilonBudget?: number;
  readonly onEvent?: (event: SiteEvent) => void;
  readonly faults?: SiteFaults;
  /** Longest long-poll (default 10 s). */
  readonly pollWaitMs?: number;
  /** Deadline of unary calls other than Poll (default 30 s) and of streams (default 10 min). */
  readonly callDeadlineMs?: number;
  readonly streamDeadlineMs?: number;
}

export interface SiteRunSummary {
  readonly outcome: "finished" | "stopped";
  readonly roundsContributed: number;
  readonly sentBytes: number;
  readonly receivedBytes: number;
}

/** Thrown inside a round to stop taking part in it (a fault hook said "drop", or the round moved on). */
class LeaveRound extends Error {
  constructor(
    readonly stage: SiteStage,
    reason: string,
  ) {
    super(reason);
  }
}

const CLIENT_VERSION = "fedtune-site/1";
/** Pause before polling again after a step this site already took was handed again. */
const REPEAT_PAUSE_MS = 1_000;

/** The SecAgg stage a site is waiting to enter when it polls for each step. */
const STAGE_OF_STEP = {
  shareKeys: "share_keys",
  maskedInput: "masked_input",
  consistency: "consistency",
  unmask: "unmask",
} as const satisfies Record<string, SiteStage>;
function isTransient(error: unknown): boolean {
  return (
    error instanceof FederationError &&
    (error.code === "unavailable" || error.code === "deadline_exceeded" || error.code === "cancelled")
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
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

/** DataChunks (offsets in bytes) of consecutive byte pieces. */
function* offsetChunks(pieces: Iterable<Uint8Array>): Generator<{ offset: number; data: Uint8Array }> {
  let offset = 0;
  for (const data of pieces) {
    yield { offset, data };
    offset += data.length;
  }
}

function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

export class SiteClient {
  private readonly connection: Connection;
  private readonly keys: SiteKeys;
  private readonly ledgerFile: LedgerFile;
  private readonly stopController = new AbortController();
  private joined: JoinResponse | undefined;
  private trainer: LocalTrainer | undefined;
  private global: { version: number; vector: Float32Array } | undefined;
  private he: { keyId: string; session: CkksSiteSession } | undefined;
  private pushedBack: PollResponse | undefined;
  /** Steps taken so far, as "kind round.attempt": the coordinator repeats a step until it is answered. */
  private readonly taken = new Set<string>();
  private roundsContributed = 0;
  /** Protect time of the round in progress (see the "submitted" event). */
  private protectMs = 0;
  private readonly certificateFingerprint: string;

  constructor(private readonly options: SiteClientOptions) {
    this.connection = options.dial({ address: options.coordinator, tls: options.tls });
    this.keys = loadOrCreateSiteKeys(options.stateDir, options.rng);
    this.ledgerFile = LedgerFile.open(options.stateDir);
    this.certificateFingerprint = certificateSha256(options.tls.certPem);
  }

  /** Runs a synchronous protect step, adding its duration to this round's protect time. */
  private protect<T>(step: () => T): T {
    const started = performance.now();
    try {
      return step();
    } finally {
      this.protectMs += performance.now() - started;
    }
  }

  /** Pulls `source` through {@link protect}: for bytes produced as they are sent. */
  private *protectEach<T>(source: Iterator<T>): Generator<T> {
    for (;;) {
      const next = this.protect(() => source.next());
      if (next.done === true) return;
      yield next.value;
    }
  }

  private get signal(): AbortSignal {
    return this.stopController.signal;
  }

  private emit(event: SiteEvent): void {
    this.options.onEvent?.(event);
  }

  private unaryOptions(): { deadlineMs: number; signal: AbortSignal } {
    return { deadlineMs: this.options.callDeadlineMs ?? 30_000, signal: this.signal };
  }

  private streamOptions(): { deadlineMs: number; signal: AbortSignal } {
    return { deadlineMs: this.options.streamDeadlineMs ?? 600_000, signal: this.signal };
  }

  /** Stops at the next await; an unfinished round counts as a dropout at the coordinator. */
  stop(): void {
    this.stopController.abort();
  }

  /** Retries transient failures (coordinator restarting, network) with capped exponential backoff. */
  private async withBackoff<T>(what: string, call: () => Promise<T>): Promise<T> {
    let delay = 200;
    for (;;) {
      try {
        return await call();
      } catch (error) {
        if (!isTransient(error) || this.signal.aborted) throw error;
        this.options.logger.warn(
          { what, retryInMs: delay, err: (error as Error).message },
          "coordinator unreachable",
        );
        await sleep(delay, this.signal);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  async run(): Promise<SiteRunSummary> {
    const { logger } = this.options;
    try {
      await this.join();
      for (;;) {
        if (this.signal.aborted) return this.summary("stopped");
        const step = await this.nextStep();
        if (this.repeated(step)) {
          // Handed again because this site has not answered it (it left that try, or an answer was
          // lost): a step is taken at most once, and the site pauses instead of polling in a loop.
          await sleep(REPEAT_PAUSE_MS, this.signal);
          continue;
        }
        switch (step.step) {
          case "wait":
            await sleep(step.wait.retryAfterMs, this.signal);
            break;
          case "finished":
            this.emit({ type: "finished", completedRounds: step.finished.completedRounds });
            logger.info({ completedRounds: step.finished.completedRounds }, "federation finished");
            return this.summary("finished");
          case "train":
            await this.inRound(step.train.ref, () => this.train(step.train));
            break;
          case "eval":
            await this.inRound(step.eval.ref, () => this.evaluate(step.eval));
            break;
          case "keyCeremony":
            try {
              await this.keyCeremony(step.keyCeremony);
            } catch (error) {
              // Refused or cut off: the coordinator retries with another dealer or key holder.
              if (!(error instanceof FederationError) || this.signal.aborted) throw error;
              logger.warn({ code: error.code, err: error.message }, "key ceremony step failed");
            }
            break;
          case "shareKeys":
          case "maskedInput":
          case "consistency":
          case "unmask":
            // A SecAgg step outside a SecAgg flow (e.g. after a restart): this site lost its round keys.
            logger.info(
              { step: step.step },
              "ignoring a SecAgg step of a round this site no longer holds keys for",
            );
            break;
        }
      }
    } catch (error) {
      if (this.signal.aborted) return this.summary("stopped");
      throw error;
    } finally {
      this.he?.session.dispose();
      this.trainer?.dispose();
      this.connection.close();
    }
  }

  private summary(outcome: SiteRunSummary["outcome"]): SiteRunSummary {
    const traffic = this.connection.traffic();
    return {
      outcome,
      roundsContributed: this.roundsContributed,
      sentBytes: traffic.sentBytes,
      receivedBytes: traffic.receivedBytes,
    };
  }

  private async join(): Promise<void> {
    const { logger, baseModelHash } = this.options;
    const request = {
      baseModelHash,
      identityKey: this.keys.identityKey,
      keyBindingSignature: signMessage(
        joinBindingPayload(this.certificateFingerprint, this.keys.identityKey, this.keys.envelopePublicKey),
        this.keys.identitySeed,
      ),
      envelopePublicKey: this.keys.envelopePublicKey,
      clientVersion: CLIENT_VERSION,
    };
    const joined = await this.withBackoff("join", () =>
      this.connection.federation.join(request, this.unaryOptions()),
    );
    this.joined = joined;
    this.trainer = await this.options.createTrainer(joined.lora, joined.vectorLength);
    if (this.trainer.vectorLength !== joined.vectorLength) {
      throw new Error(
        `the local adapter has ${this.trainer.vectorLength} trainable parameters, the federation ${joined.vectorLength}`,
      );
    }
    logger.info(
      { siteId: joined.siteId, federation: joined.federationName, mode: joined.privacyMode },
      "joined",
    );
    this.emit({ type: "joined", siteId: joined.siteId, privacyMode: joined.privacyMode });
  }

  private async nextStep(): Promise<PollResponse> {
    const pushed = this.pushedBack;
    if (pushed !== undefined) {
      this.pushedBack = undefined;
      return pushed;
    }
    const waitMs = this.options.pollWaitMs ?? 10_000;
    return this.withBackoff("poll", () =>
      this.connection.federation.poll({ waitMs }, { deadlineMs: waitMs + 10_000, signal: this.signal }),
    );
  }

  /** Whether this site already took `step` (same kind, round and try); marks it taken otherwise. */
  private repeated(step: PollResponse): boolean {
    const ref = stepRef(step);
    if (ref === undefined) return false;
    const key = `${step.step} ${ref.round}.${ref.attempt}`;
    if (this.taken.has(key)) return true;
    this.taken.add(key);
    return false;
  }

  /** Runs one round's work; leaving the round (fault, refusal, the round moved on) is not an error. */
  private async inRound(ref: RoundRef, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (this.signal.aborted) throw error;
      if (error instanceof LeaveRound) {
        this.options.logger.info(
          { round: ref.round, attempt: ref.attempt, stage: error.stage },
          error.message,
        );
        this.emit({ type: "dropped", ref, stage: error.stage, reason: error.message });
        return;
      }
      if (error instanceof FederationError) {
        // Refused, or the coordinator went away mid-round: this try counts as a dropout, never as
        // corruption; the main loop polls (with backoff) for what comes next.
        this.options.logger.warn(
          { round: ref.round, attempt: ref.attempt, code: error.code, err: error.message },
          "left the round",
        );
        this.emit({ type: "dropped", ref, stage: "submit", reason: error.message });
        return;
      }
      throw error;
    }
  }

  private async stage(stage: SiteStage, ref: RoundRef): Promise<void> {
    this.emit({ type: "stage", ref, stage });
    const verdict = (await this.options.faults?.beforeStage?.(stage, ref)) ?? "continue";
    if (verdict === "drop") throw new LeaveRound(stage, "fault injection: dropping out");
    if (this.signal.aborted) throw new LeaveRound(stage, "stopping");
  }

  // ---- the global adapter ----

  private trainerOrFail(): LocalTrainer {
    if (this.trainer === undefined) throw new Error("not joined");
    return this.trainer;
  }

  private async globalAt(version: number, he: HeSettings | null): Promise<Float32Array> {
    const trainer = this.trainerOrFail();
    const current = this.global;
    if (current?.version === version) return current.vector;
    if (he !== null) return this.rebuildFromAggregates(version, he);
    const bytes = await this.fetchAll(version, trainer.vectorLength * 4, 4);
    const vector = Float32Array.from(asFloat32(bytes));
    this.global = { version, vector };
    return vector;
  }

  private async fetchAll(
    version: number,
    expectedBytes: number | undefined,
    unit: 1 | 4,
  ): Promise<Uint8Array> {
    const stream = this.connection.federation.fetchAdapter({ version }, this.streamOptions());
    if (expectedBytes !== undefined)
      return collectChunks(stream[Symbol.asyncIterator](), expectedBytes, unit);
    const parts: Uint8Array[] = [];
    for await (const chunk of stream) parts.push(chunk.data);
    return concatBytes(parts);
  }

  /**
   * he mode: the plaintext global adapter exists only at the sites. Starting from the seeded version 0,
   * replay every completed training round's encrypted aggregate: decrypt Σw·Δ and Σw, then
   * global += η · Σw·Δ / Σw (FedAvg; ARCHITECTURE.md "One round, as data", step 4).
   */
  private async rebuildFromAggregates(version: number, he: HeSettings): Promise<Float32Array> {
    const trainer = this.trainerOrFail();
    let current =
      this.global !== undefined && this.global.version <= version
        ? this.global
        : { version: 0, vector: trainer.initialGlobal() };
    const session = await this.heSession(he);
    const d = trainer.vectorLength;
    for (const round of he.versions) {
      if (round <= current.version || round > version) continue;
      const decrypted = session.decryptVector(await this.fetchAll(round, undefined, 1), d + 1);
      current = {
        version: round,
        vector: applyAggregate(current.vector, decrypted, he.serverLearningRate, round),
      };
    }
    this.global = { version, vector: current.vector };
    return current.vector;
  }

  private async ckks(): Promise<CkksContext> {
    if (this.options.ckks === undefined) throw new Error("he mode needs a CKKS context");
    return this.options.ckks();
  }

  /** Opens this site's envelope of the consortium key (crypto/ckks/key-ceremony.ts). */
  private async heSession(he: HeSettings): Promise<CkksSiteSession> {
    if (this.he?.keyId === he.keyId) return this.he.session;
    const ctx = await this.ckks();
    const secretKey = await fetchConsortiumKey({
      federation: this.connection.federation,
      options: this.streamOptions(),
      ctx,
      keyId: he.keyId,
      siteId: this.siteId(),
      envelopeSecretKey: this.keys.envelopeSecretKey,
      dealer: { siteId: he.dealerSiteId, boxPublicKey: he.dealerEnvelopePublicKey },
    });
    try {
      this.he?.session.dispose();
      this.he = { keyId: he.keyId, session: openSiteSession(ctx, secretKey) };
    } finally {
      secretKey.fill(0);
    }
    return this.he.session;
  }

  private siteId(): string {
    if (this.joined === undefined) throw new Error("not joined");
    return this.joined.siteId;
  }

  /**
   * The dealer generates the consortium key and seals it to every recipient; in a handoff (step.dealer
   * false) a key holder seals the key it holds to sites that joined after the ceremony. The coordinator
   * only relays the envelopes.
   */
  private async keyCeremony(step: KeyCeremonyStep): Promise<void> {
    const ctx = await this.ckks();
    const self = { siteId: this.siteId(), boxSecretKey: this.keys.envelopeSecretKey };
    const recipients = step.recipients.map((r) => ({ siteId: r.siteId, boxPublicKey: r.envelopePublicKey }));
    let envelopes: Uint8Array[];
    if (step.dealer) {
      const secretKey = generateConsortiumSecretKey(ctx);
      try {
        envelopes = recipients.map((recipient) =>
          sealConsortiumKey({
            secretKey,
            keyId: step.keyId,
            paramsFingerprint: ctx.fingerprint,
            dealer: self,
            recipient,
            rng: this.options.rng,
          }),
        );
      } finally {
        secretKey.fill(0);
      }
    } else {
      const own = await fetchKeyEnvelope(this.connection.federation, this.streamOptions(), step.keyId);
      checkSealer(own.sealer, { siteId: step.dealerSiteId, boxPublicKey: step.dealerEnvelopePublicKey });
      envelopes = handOnConsortiumKey({
        ownEnvelope: own.envelope,
        keyId: step.keyId,
        paramsFingerprint: ctx.fingerprint,
        ownSealer: own.sealer,
        holder: self,
        recipients,
        rng: this.options.rng,
      });
    }
    const parts: KeyPart[] = [];
    for (const [i, recipient] of step.recipients.entries()) {
      const envelope = envelopes[i] ?? new Uint8Array();
      parts.push({
        part: "header",
        header: {
          keyId: step.keyId,
          recipient: recipient.siteId,
          length: envelope.length,
          sealerSiteId: "",
          sealerEnvelopePublicKey: new Uint8Array(),
        },
      });
      for (const chunk of chunkBytes(envelope, MAX_CHUNK_BYTES, 1)) parts.push({ part: "chunk", chunk });
    }
    await this.connection.federation.publishKeys(parts, this.streamOptions());
    this.options.logger.info(
      { keyId: step.keyId, recipients: step.recipients.map((r) => r.siteId), handoff: !step.dealer },
      step.dealer ? "published the consortium key envelopes" : "handed the consortium key on",
    );
  }

  // ---- training rounds ----

  /** Charges the privacy ledger before training; a charge past the budget declines the round. */
  private chargeLedger(task: TrainTask): boolean {
    const { privacy } = task;
    if (privacy.dpLevel === "none" || privacy.noiseMultiplier === 0) return true;
    const trainer = this.trainerOrFail();
    const federationBudget = privacy.epsilonBudget > 0 ? privacy.epsilonBudget : Number.POSITIVE_INFINITY;
    const epsilon = Math.min(this.options.epsilonBudget ?? Number.POSITIVE_INFINITY, federationBudget);
    if (!Number.isFinite(epsilon))
      throw new FederationError("failed_precondition", "DP round without an ε budget");
    const ledger = this.ledgerFile.ledger({ epsilon, delta: privacy.delta });
    const entry: LedgerEntry =
      privacy.dpLevel === "site"
        ? {
            label: `round ${task.ref.round}`,
            samplingRate: privacy.samplingRate,
            noiseMultiplier: privacy.noiseMultiplier,
            steps: 1,
          }
        : {
            label: `round ${task.ref.round}`,
            samplingRate: Math.min(1, task.training.batchSize / Math.max(1, trainer.trainExamples)),
            noiseMultiplier: privacy.noiseMultiplier,
            steps: Math.max(1, task.training.localSteps),
          };
    try {
      const charged = chargePrivacy(ledger, entry);
      this.ledgerFile.save(charged);
      this.emit({ type: "privacy", epsilon: spentEpsilon(charged).epsilon, budget: charged.budget.epsilon });
      return true;
    } catch (error) {
      if (!(error instanceof PrivacyBudgetExceededError)) throw error;
      this.options.logger.warn(
        { round: task.ref.round, detail: error.message },
        "declining the round: privacy budget",
      );
      return false;
    }
  }

  private async train(task: TrainTask): Promise<void> {
    const { ref, privacy } = task;
    await this.stage("train", ref);
    if (!this.chargeLedger(task)) {
      const detail = "taking part would exceed this site's privacy budget";
      await this.connection.federation.decline(
        { ref, reason: "privacy_budget", detail },
        this.unaryOptions(),
      );
      this.emit({ type: "declined", ref, reason: "privacy_budget", detail });
      return;
    }
    const trainer = this.trainerOrFail();
    const global = await this.globalAt(task.globalVersion, task.he);
    const update = await trainer.train({
      global,
      settings: task.training,
      recordDp:
        privacy.dpLevel === "record"
          ? { clipNorm: privacy.exampleClipNorm, noiseMultiplier: privacy.noiseMultiplier }
          : undefined,
      signal: this.signal,
    });
    this.emit({ type: "trained", ref, numExamples: update.numExamples, trainLoss: update.trainLoss });
    this.protectMs = 0;
    const { delta, weighted } = this.protect(() => this.privatize(task, update));
    const before = this.connection.traffic().sentBytes;
    switch (privacy.mode) {
      case "none":
        await this.stage("submit", ref);
        await this.submit(
          ref,
          "plain",
          delta.length,
          weighted ? update.numExamples : 1,
          update.trainLoss,
          chunkBytes(float32Bytes(delta), FLOAT_CHUNK_ELEMENTS * 4, 4),
        );
        break;
      case "he":
        await this.submitEncrypted(task, delta, weighted ? update.numExamples : 0);
        break;
      case "secagg":
        await this.secureAggregation(task, delta, weighted ? update.numExamples : 0);
        break;
    }
    this.roundsContributed++;
    this.emit({
      type: "submitted",
      ref,
      sentBytes: this.connection.traffic().sentBytes - before,
      protectMs: this.protectMs,
    });
  }

  /**
   * Clips Δ and adds this site's DP noise share (client-level DP: Kairouz et al. 2021, see
   * crypto/dp/distributed-noise.ts). Under DP every site weighs 1, so the sum's sensitivity stays C.
   */
  private privatize(task: TrainTask, update: LocalUpdate): { delta: Float32Array; weighted: boolean } {
    const { privacy } = task;
    if (privacy.dpLevel === "site" && privacy.noiseMultiplier > 0) {
      const noised = privatizeUpdate(
        update.delta,
        {
          noiseMultiplier: privacy.noiseMultiplier,
          clipNorm: privacy.clipNorm,
          minSurvivors: privacy.minSurvivors,
        },
        this.options.rng,
      );
      return { delta: noised, weighted: false };
    }
    if (privacy.clipNorm > 0)
      return { delta: clipL2(update.delta, privacy.clipNorm).clipped, weighted: true };
    return { delta: update.delta, weighted: true };
  }

  /** [w·Δ, w] with w = n_k / maxExamples (or 1 under DP): both sums travel in one protected vector. */
  private protectedVector(delta: Float32Array, numExamples: number, maxExamples: number): Float32Array {
    const weight = numExamples > 0 ? Math.min(numExamples, maxExamples) / maxExamples : 1;
    const out = new Float32Array(delta.length + 1);
    for (let i = 0; i < delta.length; i++) out[i] = weight * (delta[i] ?? 0);
    out[delta.length] = weight;
    return out;
  }

  private async submit(
    ref: RoundRef,
    encoding: UpdateHeader["encoding"],
    length: number,
    numExamples: number,
    trainLoss: number,
    chunks: Iterable<{ offset: number; data: Uint8Array }>,
  ): Promise<void> {
    const header: UpdateHeader = {
      ref,
      encoding,
      length,
      numExamples,
      trainLoss: encoding === "plain" ? trainLoss : 0,
    };
    const parts = (function* (): Generator<UpdatePart> {
      yield { part: "header", header };
      for (const chunk of chunks) yield { part: "chunk", chunk };
    })();
    await this.connection.federation.submitUpdate(parts, this.streamOptions());
  }

  private async submitEncrypted(task: TrainTask, delta: Float32Array, numExamples: number): Promise<void> {
    const he = task.he;
    if (he === null) throw new FederationError("internal", "he round without he settings");
    const session = await this.heSession(he);
    await this.stage("submit", task.ref);
    const plain = this.protect(() => this.protectedVector(delta, numExamples, he.maxExamples));
    // The weighted update in the clear is as sensitive as the records it came from (as `input` in secureAggregation).
    try {
      // Ciphertexts are made as the transport asks for the next chunk, so the upload (and the coordinator's
      // ingest) runs alongside the encryption instead of after it; the bytes are those of encryptVector.
      const encrypted = this.protect(() => session.encryptVectorStream(plain, MAX_CHUNK_BYTES));
      try {
        await this.submit(
          task.ref,
          "ciphertext",
          encrypted.byteLength,
          0,
          0,
          offsetChunks(this.protectEach(encrypted.pieces)),
        );
      } finally {
        encrypted.pieces.return();
      }
    } finally {
      plain.fill(0);
    }
  }

  /** SecAgg+ as a site (Bonawitz et al. 2017, Fig. 4; Bell et al. 2020): stages 0–4 over Poll and the stage RPCs. */
  private async secureAggregation(task: TrainTask, delta: Float32Array, numExamples: number): Promise<void> {
    const settings = task.secagg;
    if (settings === null) throw new FederationError("internal", "secagg round without secagg settings");
    const { ref } = task;
    const { rng } = this.options;
    const config: SecAggConfig = {
      roundId: settings.roundId,
      sessionId: settings.sessionId,
      roster: settings.roster.map((entry) => entry.siteId),
      threshold: settings.threshold,
      degree: settings.degree,
      vectorLength: settings.vectorLength,
      identityKeys: new Map(settings.roster.map((entry) => [entry.siteId, entry.identityKey])),
    };
    const codec = createFixedPointCodec({ clipRange: settings.clipRange, maxSummands: settings.maxSummands });
    const start = this.protect(() =>
      createClient({
        round: prepareRound(config),
        siteId: this.siteId(),
        identitySeed: this.keys.identitySeed,
        rng,
      }),
    );
    let state: ClientState = start.state;
    let input: Uint32Array | undefined;
    try {
      await this.stage("advertise_keys", ref);
      const advertise = start.message;
      const advertised = this.connection.federation.advertiseKeys(
        {
          ref,
          encryptionPublicKey: advertise.encryptionPublicKey,
          maskingPublicKey: advertise.maskingPublicKey,
          signature: advertise.signature,
        },
        this.unaryOptions(),
      );
      // The input is first needed at the masked-input step: encode it while the advertisement travels
      // and the stage waits for the other sites, not before advertising. (A refusal surfaces at the
      // await below; should encoding throw first, it must not also go unhandled.)
      advertised.catch(() => undefined);
      const encoded = this.protect(() => {
        const weighted = this.protectedVector(delta, numExamples, settings.maxExamples);
        try {
          return codec.encode(weighted, { rng });
        } finally {
          weighted.fill(0);
        }
      });
      input = encoded;
      await advertised;
      const recipient = this.siteId();
      const shareKeys = await this.awaitStep(ref, "shareKeys");
      await this.stage("share_keys", ref);
      const shared = this.protect(() =>
        clientReceive(
          state,
          {
            kind: "keys-broadcast",
            roundId: config.roundId,
            recipient,
            advertisements: shareKeys.shareKeys.advertisements.map((a) => ({
              kind: "advertise-keys",
              roundId: config.roundId,
              ...a,
            })),
          },
          rng,
        ),
      );
      state = shared.state;
      if (shared.message === null || shared.message.kind !== "share-keys")
        throw new LeaveRound("share_keys", "unexpected SecAgg transition");
      await this.connection.federation.shareKeys(
        { ref, shares: [...shared.message.encryptedShares] },
        this.unaryOptions(),
      );
      const delivery = await this.awaitStep(ref, "maskedInput");
      await this.stage("masked_input", ref);
      const awaiting = this.protect(() =>
        clientReceive(
          state,
          {
            kind: "shares-delivery",
            roundId: config.roundId,
            recipient,
            shares: delivery.maskedInput.shares,
          },
          rng,
        ),
      );
      state = awaiting.state;
      const masked = this.protect(() =>
        clientMaskInput(state, encoded, { chunkLength: FLOAT_CHUNK_ELEMENTS }),
      );
      state = masked.state;
      await this.submit(
        ref,
        "masked",
        settings.vectorLength,
        0,
        0,
        masked.messages.map((message) => ({
          offset: message.offset,
          data: new Uint8Array(message.values.buffer, message.values.byteOffset, message.values.byteLength),
        })),
      );
      const consistency = await this.awaitStep(ref, "consistency");
      await this.stage("consistency", ref);
      const signed = this.protect(() =>
        clientReceive(
          state,
          {
            kind: "consistency-request",
            roundId: config.roundId,
            recipient,
            survivors: consistency.consistency.survivors,
          },
          rng,
        ),
      );
      state = signed.state;
      if (signed.message === null || signed.message.kind !== "consistency-signature")
        throw new LeaveRound("consistency", "unexpected SecAgg transition");
      await this.connection.federation.signSurvivors(
        { ref, signature: signed.message.signature },
        this.unaryOptions(),
      );
      const unmask = await this.awaitStep(ref, "unmask");
      await this.stage("unmask", ref);
      const revealed = this.protect(() =>
        clientReceive(
          state,
          {
            kind: "unmask-request",
            roundId: config.roundId,
            recipient,
            survivors: unmask.unmask.survivors,
            signatures: unmask.unmask.signatures,
          },
          rng,
        ),
      );
      state = revealed.state;
      if (revealed.message === null || revealed.message.kind !== "unmask-response")
        throw new LeaveRound("unmask", "unexpected SecAgg transition");
      await this.connection.federation.unmask(
        {
          ref,
          selfMaskShares: [...revealed.message.selfMaskShares],
          maskingKeyShares: [...revealed.message.maskingKeyShares],
        },
        this.unaryOptions(),
      );
    } finally {
      clientDispose(state);
      input?.fill(0);
    }
  }

  /** Polls until the next SecAgg step of this try arrives; any other step means the try is over. */
  private async awaitStep<K extends "shareKeys" | "maskedInput" | "consistency" | "unmask">(
    ref: RoundRef,
    kind: K,
  ): Promise<Extract<PollResponse, { step: K }>> {
    for (;;) {
      const step = await this.nextStep();
      if (step.step === "wait") continue;
      const stepOf = stepRef(step);
      if (step.step === kind && stepOf?.round === ref.round && stepOf.attempt === ref.attempt) {
        this.repeated(step);
        return step as Extract<PollResponse, { step: K }>;
      }
      this.pushedBack = step;
      throw new LeaveRound(
        STAGE_OF_STEP[kind],
        `round ${ref.round} try ${ref.attempt} ended before its ${kind} step`,
      );
    }
  }

  // ---- evaluation rounds ----

  private async evaluate(task: EvalTask): Promise<void> {
    await this.stage("eval", task.ref);
    const global = await this.globalAt(task.globalVersion, task.he);
    const result = await this.trainerOrFail().evaluate({ global, signal: this.signal });
    await this.connection.federation.submitMetrics(
      { ref: task.ref, numExamples: result.numExamples, metrics: { ...result.metrics } },
      this.unaryOptions(),
    );
    this.emit({ type: "evaluated", ref: task.ref, metrics: result.metrics });
  }
}

/** The round try a step belongs to; undefined for steps outside rounds (wait, finished, key ceremony). */
function stepRef(step: PollResponse): RoundRef | undefined {
  switch (step.step) {
    case "train":
      return step.train.ref;
    case "eval":
      return step.eval.ref;
    case "shareKeys":
      return step.shareKeys.ref;
    case "maskedInput":
      return step.maskedInput.ref;
    case "consistency":
      return step.consistency.ref;
    case "unmask":
      return step.unmask.ref;
    case "wait":
    case "finished":
    case "keyCeremony":
      return undefined;
  }
}

/**
 * One he-mode replay step (FedAvg, ARCHITECTURE.md "One round, as data", step 4): from a decrypted
 * aggregate [Σw·Δ, Σw], global + η · Σw·Δ / Σw. Shared by the site client and the site-side export.
 */
export function applyAggregate(
  global: Float32Array,
  decrypted: Float64Array,
  serverLearningRate: number,
  round: number,
): Float32Array {
  const d = global.length;
  const totalWeight = decrypted[d] ?? 0;
  if (decrypted.length !== d + 1 || !(totalWeight > 0))
    throw new FederationError("internal", `aggregate of round ${round} has no weight`);
  const vector = Float32Array.from(global);
  for (let i = 0; i < d; i++) {
    vector[i] = (vector[i] ?? 0) + (serverLearningRate * (decrypted[i] ?? 0)) / totalWeight;
  }
  return vector;
}

interface Sealer {
  readonly siteId: string;
  readonly boxPublicKey: Uint8Array;
}

/** This site's key envelope and its sealer, as FetchKeys names them. */
async function fetchKeyEnvelope(
  federation: FederationStub,
  options: CallOptions,
  keyId: string,
): Promise<{ envelope: Uint8Array; sealer: Sealer }> {
  const parts: Uint8Array[] = [];
  let header: Extract<KeyPart, { part: "header" }>["header"] | undefined;
  for await (const part of federation.fetchKeys({ keyId }, options)) {
    if (part.part === "header") {
      if (header !== undefined) throw new FederationError("internal", "key envelope with two headers");
      header = part.header;
    } else parts.push(part.chunk.data);
  }
  const envelope = concatBytes(parts);
  if (header === undefined || envelope.length !== header.length)
    throw new FederationError("internal", "key envelope arrived incomplete");
  if (header.keyId !== keyId || header.sealerSiteId === "" || header.sealerEnvelopePublicKey.length === 0)
    throw new FederationError("internal", "key envelope header does not name its ceremony and sealer");
  return {
    envelope,
    sealer: { siteId: header.sealerSiteId, boxPublicKey: header.sealerEnvelopePublicKey },
  };
}

/** An envelope said to come from the ceremony's dealer must carry the dealer key the task names. */
function checkSealer(sealer: Sealer, dealer: Sealer | undefined): void {
  if (dealer === undefined || sealer.siteId !== dealer.siteId) return;
  if (Buffer.compare(Buffer.from(sealer.boxPublicKey), Buffer.from(dealer.boxPublicKey)) !== 0)
    throw new FederationError("internal", "the key envelope names the dealer with another key");
}

/**
 * Fetches this site's envelope of the consortium key and opens it (crypto/ckks/key-ceremony.ts): sealed
 * by the ceremony's dealer, or by the key holder that keyed this site after the ceremony. Returns the
 * serialized secret key; the caller loads it and zeroes it. A site with no envelope gets NOT_FOUND; an
 * envelope that does not open throws CkksFormatError.
 */
export async function fetchConsortiumKey(input: {
  readonly federation: FederationStub;
  readonly options: CallOptions;
  readonly ctx: CkksContext;
  readonly keyId: string;
  readonly siteId: string;
  readonly envelopeSecretKey: Uint8Array;
  /** The ceremony's dealer as a task names it, when known. */
  readonly dealer?: Sealer;
}): Promise<Uint8Array> {
  const { envelope, sealer } = await fetchKeyEnvelope(input.federation, input.options, input.keyId);
  checkSealer(sealer, input.dealer);
  return openConsortiumKey({
    envelope,
    keyId: input.keyId,
    paramsFingerprint: input.ctx.fingerprint,
    dealer: sealer,
    recipient: { siteId: input.siteId, boxSecretKey: input.envelopeSecretKey },
  });
}

/** Joins streamed chunks into one array. */
function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function certificateSha256(certPem: string): string {
  return createHash("sha256").update(new X509Certificate(certPem).raw).digest("hex");
}

/** Starts a site client; `done` resolves when the federation finishes or the client is stopped. */
export function startSiteClient(options: SiteClientOptions): {
  readonly done: Promise<SiteRunSummary>;
  stop(): Promise<SiteRunSummary>;
} {
  const client = new SiteClient(options);
  const done = client.run();
  return {
    done,
    stop: async () => {
      client.stop();
      return done;
    },
  };
}
