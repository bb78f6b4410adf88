// The site client: joins, pulls steps, trains locally, and hands the update to the federation's privacy mode.
import { createHash, X509Certificate } from "node:crypto";
import { joinBindingPayload, signMessage } from "../../crypto/keys.ts";
import { signSiteKeys } from "../../crypto/pki/key-binding.ts";
import { FederationError } from "../../proto/errors.ts";
import {
  DECLINE_DETAIL_MAX,
  type DeclineReason,
  type EvalTask,
  type PollResponse,
  type PrivacyMode,
  type RoundRef,
  type TrainTask,
} from "../../proto/messages.ts";
import type { SiteMode } from "../modes/mode.ts";
import { createSiteMode } from "../modes/select.ts";
import { CryptoError } from "../../crypto/errors.ts";
import { answerDecryption, answerKeyCeremony } from "./he-keys.ts";
import { chargeLedger, privatize, type PrivatizedUpdate } from "./privacy.ts";
import { evalOffer, policyRefusal, trainOffer, type TaskOffer } from "./run-policy.ts";
import { LeaveRound, SiteSession, sleep, type SiteClientOptions } from "./session.ts";
import { acceptRevocationList, LedgerFile, loadOrCreateSiteKeys } from "./site-state.ts";
import { StepInbox } from "./steps.ts";
import { TrainerFailure, type LocalTrainer } from "./trainer.ts";

export type { SiteClientOptions, SiteEvent, SiteFaults, SiteStage } from "./session.ts";

export interface SiteRunSummary {
  readonly outcome: "finished" | "stopped";
  readonly roundsContributed: number;
  readonly sentBytes: number;
  readonly receivedBytes: number;
}

const CLIENT_VERSION = "fedtune-site/1";
/** How often a site that stays connected asks for the next run while none is in progress. */
const NEXT_RUN_POLL_MS = 5_000;
/** Pause before polling again after a step this site already took was handed again. */
const REPEAT_PAUSE_MS = 1_000;

function certificateSha256(certPem: string): string {
  return createHash("sha256").update(new X509Certificate(certPem).raw).digest("hex");
}

export class SiteClient {
  private readonly session: SiteSession;
  /** Steps taken in the current run (a new run numbers its rounds from 1 again). */
  private steps: StepInbox;
  private readonly ledgerFile: LedgerFile;
  /** The last update this site made, and what for (see retrySettings). */
  private lastUpdate: { readonly settings: string; readonly update: PrivatizedUpdate } | undefined;
  private mode: SiteMode | undefined;
  /** The federation's privacy mode, as told at Join. */
  private privacyMode: PrivacyMode | undefined;
  private roundsContributed = 0;

  constructor(private readonly options: SiteClientOptions) {
    this.session = new SiteSession(options, loadOrCreateSiteKeys(options.stateDir, options.rng));
    this.ledgerFile = LedgerFile.open(options.stateDir);
    this.steps = new StepInbox(this.session, () => this.ledgerFile.report());
  }

  /** Stops at the next await; an unfinished round counts as a dropout at the coordinator. */
  stop(): void {
    this.session.stop();
  }

  async run(): Promise<SiteRunSummary> {
    const { session } = this;
    try {
      if (!(await this.joinRun())) return this.summary("finished");
      for (;;) {
        if (session.signal.aborted) return this.summary("stopped");
        const step = await this.steps.next();
        if (this.steps.repeated(step)) {
          // Handed again because this site has not answered it (it left that try, or an answer was
          // lost): a step is taken at most once, and the site pauses instead of polling in a loop.
          await sleep(REPEAT_PAUSE_MS, session.signal);
          continue;
        }
        if (step.step === "finished") {
          this.session.emit({ type: "finished", completedRounds: step.finished.completedRounds });
          session.logger.info({ completedRounds: step.finished.completedRounds }, "federation finished");
          if (this.options.stayConnected !== true) return this.summary("finished");
          this.leaveRun();
          if (!(await this.joinRun())) return this.summary("stopped");
          continue;
        }
        await this.take(step);
      }
    } catch (error) {
      if (session.signal.aborted) return this.summary("stopped");
      throw error;
    } finally {
      this.mode?.dispose();
      this.session.trainerIfJoined()?.dispose();
      session.connection.close();
    }
  }

  private async take(step: Exclude<PollResponse, { step: "finished" }>): Promise<void> {
    const { logger, signal } = this.session;
    switch (step.step) {
      case "wait":
        await sleep(step.wait.retryAfterMs, signal);
        return;
      case "train":
        return this.inRound(step.train.ref, () => this.train(step.train));
      case "eval":
        return this.inRound(step.eval.ref, () => this.evaluate(step.eval));
      case "keyCeremony":
      case "decrypt":
        try {
          if (step.step === "keyCeremony") await answerKeyCeremony(this.session, step.keyCeremony);
          else await answerDecryption(this.session, step.decrypt);
        } catch (error) {
          // Refused or cut off: the coordinator hands the step again, or restarts the ceremony or the try.
          // A refusal to decrypt (an aggregate that is not a checked sum) is a CryptoError: logged, not obeyed.
          if (!(error instanceof FederationError || error instanceof CryptoError) || signal.aborted)
            throw error;
          logger.warn({ code: error.code, err: error.message, step: step.step }, "he key step failed");
        }
        return;
      case "shareKeys":
      case "maskedInput":
      case "consistency":
      case "unmask":
        // A SecAgg step outside a SecAgg flow (e.g. after a restart): this site lost its round keys.
        logger.info(
          { step: step.step },
          "ignoring a SecAgg step of a round this site no longer holds keys for",
        );
        return;
    }
  }

  private summary(outcome: SiteRunSummary["outcome"]): SiteRunSummary {
    const traffic = this.session.connection.traffic();
    return {
      outcome,
      roundsContributed: this.roundsContributed,
      sentBytes: traffic.sentBytes,
      receivedBytes: traffic.receivedBytes,
    };
  }

  /**
   * Joins the run in progress. With no run in progress ("not found"), a site that stays connected asks
   * again every nextRunPollMs until one starts or it is stopped; any other site has nothing to do.
   * Returns whether it joined.
   */
  private async joinRun(): Promise<boolean> {
    const { session } = this;
    let waiting = false;
    for (;;) {
      try {
        await this.join();
        return true;
      } catch (error) {
        if (!(error instanceof FederationError && error.code === "not_found") || session.signal.aborted) {
          if (session.signal.aborted) return false;
          throw error;
        }
        if (this.options.stayConnected !== true) return false;
        if (!waiting) session.logger.info("no run in progress; waiting for the next one");
        waiting = true;
        await sleep(this.options.nextRunPollMs ?? NEXT_RUN_POLL_MS, session.signal);
        if (session.signal.aborted) return false;
      }
    }
  }

  /** After a run: its mode, trainer, steps and last update belong to it; the next run joins afresh. */
  private leaveRun(): void {
    this.mode?.dispose();
    this.mode = undefined;
    this.session.leaveRun();
    this.steps = new StepInbox(this.session, () => this.ledgerFile.report());
    this.lastUpdate = undefined;
  }

  private async join(): Promise<void> {
    const { session } = this;
    const { keys } = session;
    const { baseModelHash, tls } = this.options;
    const request = {
      baseModelHash,
      identityKey: keys.identityKey,
      keyBindingSignature: signMessage(
        joinBindingPayload(certificateSha256(tls.certPem), keys.identityKey, keys.envelopePublicKey),
        keys.identitySeed,
      ),
      envelopePublicKey: keys.envelopePublicKey,
      clientVersion: CLIENT_VERSION,
      certificate: new Uint8Array(new X509Certificate(tls.certPem).raw),
      certificateKeySignature: signSiteKeys(
        tls.certPem,
        tls.keyPem,
        keys.identityKey,
        keys.envelopePublicKey,
      ),
    };
    const joined = await session.withBackoff("join", () =>
      session.connection.federation.join(request, session.unaryOptions()),
    );
    // Before any peer key is used: a stale, foreign or expired CRL stops this site here (PkiError).
    session.trustRevocations(
      await acceptRevocationList(this.options.stateDir, tls.caPem, joined.revocationList),
    );
    const build = async (): Promise<LocalTrainer> => {
      const trainer = await this.options.createTrainer(joined.lora, joined.vectorLength);
      if (trainer.vectorLength !== joined.vectorLength) {
        trainer.dispose();
        throw new Error(
          `the local adapter has ${trainer.vectorLength} trainable parameters, the federation ${joined.vectorLength}`,
        );
      }
      return trainer;
    };
    // Built once here, so that a mismatched adapter stops the site at Join, before any round.
    session.joined(joined.siteId, await build(), build);
    this.mode = createSiteMode(joined.privacyMode, { session, steps: this.steps });
    this.privacyMode = joined.privacyMode;
    session.logger.info(
      { siteId: joined.siteId, federation: joined.federationName, mode: joined.privacyMode },
      "joined",
    );
    session.emit({ type: "joined", siteId: joined.siteId, privacyMode: joined.privacyMode });
  }

  private modeOrFail(): SiteMode {
    if (this.mode === undefined) throw new Error("not joined");
    return this.mode;
  }

  /**
   * Runs one round's work; leaving the round (fault, refusal, the round moved on) is not an error.
   * A trainer that failed declines the task with its summary: nothing was protected or uploaded,
   * and the site stays joined for the next round.
   */
  private async inRound(ref: RoundRef, work: () => Promise<void>): Promise<void> {
    const { session } = this;
    try {
      await work();
    } catch (error) {
      if (session.signal.aborted) throw error;
      if (error instanceof TrainerFailure) {
        // The output (stderr lines, which may quote records) stays in this site's log.
        session.logger.error(
          { round: ref.round, attempt: ref.attempt, err: error.summary, output: error.output },
          "the trainer failed; declining the task",
        );
        return this.inRound(ref, () => this.decline(ref, "trainer_failure", error.summary));
      }
      if (error instanceof LeaveRound) {
        session.logger.info({ round: ref.round, attempt: ref.attempt, stage: error.stage }, error.message);
        session.emit({ type: "dropped", ref, stage: error.stage, reason: error.message });
        return;
      }
      if (error instanceof FederationError) {
        // Refused, or the coordinator went away mid-round: this try counts as a dropout, never as
        // corruption; the main loop polls (with backoff) for what comes next.
        session.logger.warn(
          { round: ref.round, attempt: ref.attempt, code: error.code, err: error.message },
          "left the round",
        );
        session.emit({ type: "dropped", ref, stage: "submit", reason: error.message });
        return;
      }
      throw error;
    } finally {
      session.releaseRoundTrainer();
    }
  }

  private async train(task: TrainTask): Promise<void> {
    const { session } = this;
    const { ref } = task;
    if (await this.declinedByPolicy(ref, trainOffer(task, this.options.baseModelHash))) return;
    await session.stage("train", ref);
    await session.holdTrainer();
    const settings = retrySettings(task);
    let privatized: PrivatizedUpdate;
    if (this.lastUpdate?.settings === settings) {
      // A retried try of the round this update was made for (the coordinator stopped, or too few sites
      // survived), with the same global adapter and settings: the same update, noise included, goes again,
      // so the retry costs neither training time nor privacy budget.
      privatized = this.lastUpdate.update;
      session.logger.info(
        { round: ref.round, attempt: ref.attempt },
        "submitting the update trained for an earlier try of this round (settings unchanged)",
      );
      session.emit({
        type: "trained",
        ref,
        numExamples: privatized.numExamples,
        trainLoss: privatized.trainLoss,
        reused: true,
        trainMs: 0,
      });
      session.resetProtectTime();
    } else {
      const trained = await this.trainAndPrivatize(task);
      if (trained === undefined) return;
      privatized = trained;
      this.lastUpdate = { settings, update: privatized };
    }
    const mode = this.modeOrFail();
    const before = session.connection.traffic().sentBytes;
    await mode.contribute(task, privatized);
    this.roundsContributed++;
    session.emit({
      type: "submitted",
      ref,
      sentBytes: session.connection.traffic().sentBytes - before,
      protectMs: session.protectTimeMs(),
    });
  }

  /** Charges the ledger, trains and privatizes; undefined when the round was declined for the budget. */
  private async trainAndPrivatize(task: TrainTask): Promise<PrivatizedUpdate | undefined> {
    const { session } = this;
    const { ref, privacy } = task;
    const refusal = chargeLedger(session, this.ledgerFile, task);
    if (refusal !== null) {
      await this.decline(ref, "privacy_budget", refusal);
      return undefined;
    }
    const global = await this.modeOrFail().globalAt(task.globalVersion, task.he);
    const trainingStarted = performance.now();
    const update = await session.trainer().train({
      global,
      settings: task.training,
      recordDp:
        privacy.dpLevel === "record"
          ? { clipNorm: privacy.exampleClipNorm, noiseMultiplier: privacy.noiseMultiplier }
          : undefined,
      signal: session.signal,
    });
    session.emit({
      type: "trained",
      ref,
      numExamples: update.numExamples,
      trainLoss: update.trainLoss,
      reused: false,
      trainMs: performance.now() - trainingStarted,
    });
    session.resetProtectTime();
    return session.protect(() => privatize(session, task, update));
  }

  /** Declines a task this site's policy refuses, with the reason; true when it did. */
  private async declinedByPolicy(ref: RoundRef, offer: TaskOffer): Promise<boolean> {
    const refusal = policyRefusal(this.options.policy, offer);
    if (refusal === undefined) return false;
    this.session.logger.warn(
      { round: ref.round, attempt: ref.attempt, reason: refusal },
      "this site's policy refuses the task; declining it",
    );
    await this.decline(ref, "site_policy", refusal);
    return true;
  }

  private async decline(ref: RoundRef, reason: DeclineReason, detail: string): Promise<void> {
    const { session } = this;
    const sent = detail.slice(0, DECLINE_DETAIL_MAX);
    await session.connection.federation.decline({ ref, reason, detail: sent }, session.unaryOptions());
    session.emit({ type: "declined", ref, reason, detail: sent });
  }

  private async evaluate(task: EvalTask): Promise<void> {
    const { session } = this;
    const offer = evalOffer(task, this.privacyMode ?? "none", this.options.baseModelHash);
    if (await this.declinedByPolicy(task.ref, offer)) return;
    await session.stage("eval", task.ref);
    await session.holdTrainer();
    const mode = this.modeOrFail();
    const global = await mode.globalAt(task.globalVersion, task.he);
    const result = await session.trainer().evaluate({ global, signal: session.signal });
    // This site's own figures stay in its own log and events; the coordinator gets them as counts, summed
    // under the round's protection with the other sites' (except in mode none).
    session.logger.info(
      { round: task.ref.round, numExamples: result.numExamples, metrics: result.metrics },
      "evaluated the global adapter on this site's validation set",
    );
    await mode.reportEvaluation(task, result);
    session.emit({ type: "evaluated", ref: task.ref, metrics: result.metrics });
  }
}

/** Starts a site client; `done` resolves when the federation finishes or the client is stopped. */
/** What makes an update valid for a round try: the round, the global adapter and every setting it was made with. */
function retrySettings(task: TrainTask): string {
  const { ref, globalVersion, privacy, participants } = task;
  // The seed differs per try only to keep retried runs reproducible; an update shuffled by the first
  // try's seed is as good an answer to the retry.
  const training = { ...task.training, seed: undefined };
  return JSON.stringify({ round: ref.round, globalVersion, training, privacy, participants });
}

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
