// The coordinator service: runs one run at a time, in submission order, each in a round context built from its
// stored settings; the Federation handlers serve the run in progress (or the latest one) until stopped.
import type { CkksContext } from "../../crypto/ckks/context.ts";
import type { DropSiteResponse } from "../../proto/admin-messages.ts";
import type { AdapterSpec } from "../../model/peft-export.ts";
import { FederationError } from "../../proto/errors.ts";
import type { FederationHandlers } from "../../proto/rpc.ts";
import { createStrategy } from "../../strategies/index.ts";
import { ConfigError, type FederationConfig } from "../config.ts";
import {
  readRunSettings,
  runConfig,
  runSettingsOf,
  storedRunSettings,
  type RunSettings,
} from "../run-settings.ts";
import type { CoordinatorStore, RunRecord } from "../storage/store.ts";
import { canonicalJson } from "../storage/canonical-json.ts";
import { ChangeSignal } from "./change-signal.ts";
import { heKeyConflict } from "./key-ceremony.ts";
import { DurableState } from "./durable-state.ts";
import type { StageInProgress } from "../status/snapshot.ts";
import type { RunSummary } from "./records.ts";
import { RoundContext, type CoordinatorDeps } from "./round-context.ts";
import { federationHandlers } from "./rpc-handlers.ts";
import { runFederation, storedSummary } from "./run-loop.ts";
import { applyRevocations, dropSite } from "./site-control.ts";
import { SiteStandings, type StandingView } from "./site-standing.ts";
import type { SiteId } from "../round/stages.ts";

export type { CoordinatorDeps };

/** What every run shares: the coordinator's config and store, its adapter and its process-wide parts. */
export interface ServiceDeps extends Omit<
  CoordinatorDeps,
  "config" | "store" | "strategy" | "ckks" | "joinRequired"
> {
  /** The coordinator's config; each run replaces its federation settings (run-settings.ts). */
  readonly config: FederationConfig;
  readonly store: CoordinatorStore;
  /** The adapter's shapes for a run's plain checkpoints; undefined when they are ciphertexts (he, reveal sites). */
  readonly checkpointSpec: (config: FederationConfig) => AdapterSpec | undefined;
  /** he runs: the CKKS context (no keys), made on first use. */
  readonly ckks: () => Promise<CkksContext>;
}

/** How long an idle coordinator sleeps between looks at the queue when nothing wakes it. */
const IDLE_CHECK_MS = 60_000;
/** How often the revocation list is looked at for joined sites (a revocation takes effect within this). */
const REVOCATION_CHECK_MS = 1_000;

export class Coordinator {
  readonly handlers: FederationHandlers;
  /** The run in progress, or the latest one (sites learn from it that it finished); undefined before any. */
  private current: RoundContext | undefined;
  private runsDriven = 0;
  /** The last run driven, kept after an abort clears `current`: its registry still knows who was seen when. */
  private lastDriven: RoundContext | undefined;
  private stopped = false;
  private abortRequest: { readonly runId: number; readonly actor: string } | undefined;
  private readonly wake = new ChangeSignal();
  /** The run being driven, settled when it ends (an abort waits for it). */
  private driving: Promise<RunSummary> | undefined;
  /** Round contexts of runs that ended, built on demand to serve their site-side exports. */
  private readonly endedRuns = new Map<number, Promise<RoundContext>>();

  constructor(private readonly deps: ServiceDeps) {
    this.handlers = federationHandlers(
      () => this.current,
      (runId) => this.endedRun(runId),
    );
  }

  /**
   * Drives runs until stopped: one left running by a crash first, then the queued ones in submission order,
   * then waits for the next submission. `onFirst` gets the summary of the first run it drives (or of the
   * latest stored one, when none is left to drive), which is what `fedtune sim` and one-run starts wait for.
   */
  async serve(onFirst: (summary: RunSummary) => void): Promise<void> {
    this.adoptConfigRun();
    const revocationTimer = setInterval(() => this.checkRevocations(), REVOCATION_CHECK_MS);
    try {
      await this.serveRuns(onFirst);
    } finally {
      clearInterval(revocationTimer);
    }
  }

  private async serveRuns(onFirst: (summary: RunSummary) => void): Promise<void> {
    let first = true;
    while (!this.stopped) {
      const run = this.nextRun();
      if (run === undefined) {
        if (first) onFirst(this.latestSummary());
        first = false;
        await this.wake.wait(IDLE_CHECK_MS);
        continue;
      }
      this.driving = this.drive(run);
      const summary = await this.driving;
      if (first) onFirst(summary);
      first = false;
    }
  }

  /**
   * Refuses a start whose config the federation's stored state cannot serve: he settings other than those
   * of its key ceremony. A config whose settings differ from a started store's runs is only logged: the
   * store runs its stored runs, and new settings are a new run (admin run submit).
   */
  checkStart(): void {
    const { config, store, logger } = this.deps;
    if (config.privacy.mode === "he") {
      const conflict = heKeyConflict(this.records().thresholdKey(), config.privacy.he);
      if (conflict !== undefined) throw new FederationError("failed_precondition", conflict);
    }
    const first = store.getRun(1)?.settings;
    const configured = storedRunSettings(runSettingsOf(config));
    if (first != null && canonicalJson(first) !== canonicalJson(configured))
      logger.warn(
        "the config's federation settings differ from run 1's: this store runs its stored runs; submit new settings as a run (fedtune admin run submit)",
      );
  }

  /** Queues a run (settings already checked by parseRunSettings); audited as submitted by `actor`. */
  submit(settings: RunSettings, actor: string): RunRecord {
    const runId = this.deps.store.submitRun(storedRunSettings(settings), actor, new Date());
    this.deps.logger.info({ run: runId, actor }, "run submitted");
    this.wake.notify();
    return this.deps.store.getRun(runId) as RunRecord;
  }

  /**
   * Aborts a queued run, or the running one: its current round is abandoned at once (not at its deadline),
   * and the next queued run starts. Both are audited with `actor`. Resolves once the run is aborted.
   */
  async abort(runId: number, actor: string): Promise<RunRecord> {
    const { store, logger } = this.deps;
    const run = store.getRun(runId);
    if (run === undefined) throw new FederationError("not_found", `no run with id ${runId}`);
    if (run.state === "queued") {
      store.setRunState(runId, "aborted", { actor, reason: `aborted by ${actor}` }, new Date());
    } else if (run.state === "running" && this.current?.store.runId === runId) {
      this.abortRequest = { runId, actor };
      this.current.stop();
      await this.driving;
    } else {
      throw new FederationError(
        "failed_precondition",
        `run ${runId} is ${run.state}; only a queued or running run can be aborted`,
      );
    }
    logger.warn({ run: runId, actor }, "run aborted");
    return store.getRun(runId) as RunRecord;
  }

  /** After the first run: resolves once every site seen recently has been told it finished, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<void> {
    const round = this.current;
    if (round === undefined) return;
    const expected = round.onlineSites();
    await round.waitFor(
      () => (expected.every((site) => round.informed.has(site)) ? true : undefined),
      timeoutMs,
    );
  }

  /** A revocation list that cannot be read is logged and retried; the TLS edge refuses every call meanwhile. */
  private checkRevocations(): void {
    const { revocations, logger } = this.deps;
    const round = this.current;
    if (revocations === undefined || round === undefined) return;
    try {
      applyRevocations(round, revocations());
    } catch (error) {
      logger.error({ err: error }, "revocation list unreadable");
    }
  }

  /** `admin site drop`: `site` leaves the round in progress now. */
  dropSite(site: SiteId, operator: string): DropSiteResponse {
    const round = this.current;
    if (round === undefined) throw new FederationError("failed_precondition", "no round is in progress");
    return dropSite(round, site, operator);
  }

  /** A site's standing (revoked, dropped, last decline) and when it was last seen, for `admin sites`. */
  siteStatus(site: SiteId): StandingView & { readonly lastSeen?: string } {
    const round = this.current ?? this.lastDriven;
    if (round === undefined) {
      const records = this.records();
      const fingerprint = records.sites().find((record) => record.siteId === site)?.fingerprint;
      return new SiteStandings(records, [site]).view(site, fingerprint);
    }
    const { standing, sites } = round;
    const lastSeen = sites.lastSeenAt(site);
    return {
      ...standing.view(site, sites.record(site)?.fingerprint),
      ...(lastSeen === undefined ? {} : { lastSeen }),
    };
  }

  /** Stops driving runs; in-flight calls are refused from now on. A running run resumes at the next start. */
  stop(): void {
    this.stopped = true;
    this.current?.stop();
    this.wake.notify();
  }

  /** The run in progress (or the latest), for the admin service; undefined before any. */
  currentRun(): { readonly runId: number; readonly round: RoundContext } | undefined {
    const round = this.current;
    return round === undefined ? undefined : { runId: round.store.runId, round };
  }

  /** A view of run `runId`'s rounds and checkpoints (admin rounds, exports). */
  runState(runId: number): DurableState {
    const run = this.deps.store.getRun(runId);
    if (run === undefined) throw new FederationError("not_found", `no run with id ${runId}`);
    return this.viewOf(run.id, this.configOf(run));
  }

  /** Every run, in submission order (admin, the status page). */
  runs(): RunRecord[] {
    return this.deps.store.listRuns();
  }

  /** The store's records that belong to no run: sites and the audit log. */
  records(): DurableState {
    return DurableState.forRun(this.deps.store, this.deps.config.storageDir, undefined, 0);
  }

  /** For the admin service. */
  status(): {
    round: number;
    attempt: number;
    stage: string;
    completedRounds: number;
    totalRounds: number;
    sitesJoined: number;
    sitesOnline: number;
  } {
    const round = this.current;
    if (round === undefined) {
      const sitesJoined = this.deps.store.listSites().length;
      return {
        round: 0,
        attempt: 0,
        stage: "idle",
        completedRounds: 0,
        totalRounds: 0,
        sitesJoined,
        sitesOnline: 0,
      };
    }
    const { state, store, plan, sites } = round;
    const running = state.phase === "running" ? state : undefined;
    return {
      round: running?.ref.round ?? 0,
      attempt: running?.ref.attempt ?? 0,
      stage: running?.stage.name ?? state.phase,
      completedRounds: store.completedRounds().size,
      totalRounds: plan.length,
      sitesJoined: sites.size,
      // Sites connected to the coordinator, including those waiting for the next run.
      sitesOnline: sites.online().length,
    };
  }

  /** The round try and stage in progress with its deadline, for the status page. */
  inProgress(): StageInProgress | undefined {
    const state = this.current?.state;
    if (state?.phase !== "running") return undefined;
    return {
      round: state.ref.round,
      attempt: state.ref.attempt,
      kind: state.kind,
      stage: state.stage.name,
      deadlineAt: new Date(state.stage.deadlineAt).toISOString(),
    };
  }

  /** Sites connected now (seen within the online window), whatever their standing; also between runs. */
  connectedSites(): SiteId[] {
    return (this.current ?? this.lastDriven)?.sites.online() ?? [];
  }

  /**
   * The config's federation settings are the first run of a store that has none; a run migrated from a
   * version-1 store (no settings stored) takes them too, as the config it was started with.
   */
  private adoptConfigRun(): void {
    const { store, config } = this.deps;
    const settings = storedRunSettings(runSettingsOf(config));
    const runs = store.listRuns();
    if (runs.length === 0) store.submitRun(settings, "config", new Date());
    for (const run of runs) if (run.settings === null) store.adoptRunSettings(run.id, settings, new Date());
  }

  /** The run left running (a crash or a stop), else the oldest queued one. */
  private nextRun(): RunRecord | undefined {
    const runs = this.deps.store.listRuns();
    return runs.find((run) => run.state === "running") ?? runs.find((run) => run.state === "queued");
  }

  /** A run's federation config: the coordinator's, with the run's stored settings. */
  configOf(run: RunRecord): FederationConfig {
    if (run.settings === null) return this.deps.config;
    return runConfig(this.deps.config, readRunSettings(run.settings, run.id));
  }

  private viewOf(runId: number, config: FederationConfig): DurableState {
    return DurableState.forRun(this.deps.store, config.storageDir, this.deps.checkpointSpec(config), runId);
  }

  /**
   * The round context of run `runId` for what a run serves after it ended (a site-side he export): the
   * current one, or one built from the run's stored settings (and the federation's stored he key).
   */
  private endedRun(runId: number): Promise<RoundContext> {
    const current = this.current;
    if (current?.store.runId === runId) return Promise.resolve(current);
    const run = this.deps.store.getRun(runId);
    if (run === undefined) throw new FederationError("not_found", `no run with id ${runId}`);
    if (run.state === "queued" || run.state === "running")
      throw new FederationError("failed_precondition", `run ${runId} is ${run.state}`);
    let built = this.endedRuns.get(runId);
    if (built === undefined) {
      built = (async () => {
        const round = await this.contextFor(run, this.configOf(run));
        // he: loads the stored collective key (a run that ended before its ceremony has nothing to export).
        if (round.config.privacy.mode === "he" && round.store.thresholdKey() !== undefined)
          await round.driver.prepareRun();
        return round;
      })();
      this.endedRuns.set(runId, built);
      // A build that failed (e.g. a checkpoint unreadable) is tried again by the next export.
      built.catch(() => this.endedRuns.delete(runId));
    }
    return built;
  }

  /** A round context for `run`, built from its stored settings. */
  private async contextFor(run: RunRecord, config: FederationConfig): Promise<RoundContext> {
    const { rng, logger, baseModelHash, vectorLength, initialGlobal } = this.deps;
    const { onEvent, onlineWindowMs, sitesToStart, revocations, revocationList } = this.deps;
    return new RoundContext({
      rng,
      logger,
      baseModelHash,
      vectorLength,
      initialGlobal,
      ...(onEvent === undefined ? {} : { onEvent }),
      ...(onlineWindowMs === undefined ? {} : { onlineWindowMs }),
      ...(sitesToStart === undefined ? {} : { sitesToStart }),
      ...(revocations === undefined ? {} : { revocations }),
      ...(revocationList === undefined ? {} : { revocationList }),
      config,
      store: this.viewOf(run.id, config),
      strategy: createStrategy(config.strategy),
      ...(config.privacy.mode === "he" ? { ckks: await this.deps.ckks() } : {}),
      joinRequired: this.runsDriven > 0,
    });
  }

  private async drive(run: RunRecord): Promise<RunSummary> {
    const { store, logger } = this.deps;
    if (run.state === "queued") store.setRunState(run.id, "running", { actor: "coordinator" }, new Date());
    let round: RoundContext;
    try {
      round = await this.contextFor(run, this.configOf(run));
    } catch (error) {
      if (!(error instanceof FederationError || error instanceof ConfigError)) throw error;
      // A run that cannot start (stored settings edited by hand, he settings the federation's key cannot
      // serve) fails with the reason; the queue goes on.
      const reason = error instanceof ConfigError ? error.message : error.publicMessage;
      logger.error({ run: run.id, reason }, "run cannot start");
      store.setRunState(run.id, "failed", { actor: "coordinator", reason }, new Date());
      return storedSummary(this.viewOf(run.id, this.deps.config), "failed", reason);
    }
    const { config } = round;
    this.runsDriven++;
    this.current = round;
    this.lastDriven = round;
    logger.info({ run: run.id, rounds: config.rounds, mode: config.privacy.mode }, "run started");
    const summary = await runFederation(round);
    const abort = this.abortRequest?.runId === run.id ? this.abortRequest : undefined;
    const now = new Date();
    if (abort !== undefined) {
      this.abortRequest = undefined;
      const reason = `aborted by ${abort.actor}`;
      round.store.abandonOpenRound(reason);
      store.setRunState(run.id, "aborted", { actor: abort.actor, reason }, now);
      // Its sites are told "finished" by the next run (or by the idle coordinator) and join it.
      this.current = undefined;
      return storedSummary(round.store, "failed", reason);
    }
    if (summary.outcome === "completed") store.setRunState(run.id, "finished", { actor: "coordinator" }, now);
    if (summary.outcome === "failed")
      store.setRunState(run.id, "failed", { actor: "coordinator", reason: summary.reason }, now);
    logger.info({ run: run.id, outcome: summary.outcome, reason: summary.reason }, "run ended");
    return summary;
  }

  /** The latest run's summary from the store (a start with nothing left to run). */
  private latestSummary(): RunSummary {
    const run = this.deps.store.listRuns().at(-1);
    if (run === undefined) throw new Error("the config's run was not stored");
    const outcome = run.state === "finished" ? "completed" : run.state === "running" ? "stopped" : "failed";
    return storedSummary(this.viewOf(run.id, this.configOf(run)), outcome, run.reason ?? "");
  }
}
