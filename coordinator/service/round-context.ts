// The one place for the coordinator's shared mutable round state: the round machine's state, the running
// try, the plaintext global adapter, the sites, and the signal that wakes waiters on every change.
import type { Logger } from "pino";
import type { CkksContext } from "../../crypto/ckks/context.ts";
import type { Rng } from "../../crypto/rng.ts";
import { FederationError } from "../../proto/errors.ts";
import type { DataChunk, PollResponse, RoundRef } from "../../proto/messages.ts";
import type { HandlerContext, Peer } from "../../proto/rpc.ts";
import type { Strategy } from "../../strategies/index.ts";
import type { FederationConfig } from "../config.ts";
import type { Revocations } from "../pki/index.ts";
import type { ModeDriver, ModeHost, ModeTry, PlainGlobal } from "../modes/mode.ts";
import { createModeDriver } from "../modes/select.ts";
import { planRounds, type PlannedRound } from "../round/plan.ts";
import type { RoundState, SiteId } from "../round/stages.ts";
import { ChangeSignal } from "./change-signal.ts";
import type { DurableState } from "./durable-state.ts";
import type { CoordinatorEvent, SiteRecord } from "./records.ts";
import { SiteRegistry } from "./site-registry.ts";
import { SiteStandings } from "./site-standing.ts";
import { TransferGate } from "./transfer-gate.ts";

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
  /** A site that has not polled for this long is not picked (default 20 s). */
  readonly onlineWindowMs?: number;
  /**
   * Sites to wait for (up to deadlines.joinMs) before the run's first round, so that a federation
   * started all at once does not begin with the first `minimum` sites only (default: minimum).
   */
  readonly sitesToStart?: number;
  /** The CA-signed CRL (DER) relayed to each site at Join, read when a site joins; none when undefined. */
  readonly revocationList?: () => Uint8Array | undefined;
  /** The revocation list as it is now; a joined site found on it leaves the round in progress (site-control.ts). */
  readonly revocations?: () => Revocations;
  /**
   * A run after another one in this process: a site takes part only once it has joined this run (it
   * learns the run's settings from the join); until then its polls are told that its run finished.
   */
  readonly joinRequired?: boolean;
}

/** Everything one round try holds besides the pure RoundState; `work` is the privacy mode's part. */
export interface Attempt {
  /** The store's id of this try. */
  readonly roundId: number;
  readonly planned: PlannedRound;
  readonly ref: RoundRef;
  readonly participants: readonly SiteId[];
  readonly work: ModeTry;
  /** Per-site steps of the current SecAgg stage (from the SecAgg server's messages). */
  outbox: ReadonlyMap<SiteId, PollResponse>;
  /**
   * The train or eval task each site was first handed in this try (tasks belong to the try's first
   * stage): a repeated delivery hands the same task again, with only its relative deadline refreshed.
   */
  readonly tasks: Map<SiteId, PollResponse>;
  stageStartedAt: number;
}

export class RoundContext implements ModeHost {
  state: RoundState = { phase: "idle", completedRounds: 0 };
  attempt: Attempt | undefined;
  /** The plaintext global adapter (none, secagg); undefined in he mode. */
  global: PlainGlobal | undefined;
  stopped = false;
  /** True until the run's first round has gathered its sites. */
  gathering = true;
  /** Sites told that the federation finished. */
  readonly informed = new Set<SiteId>();
  /** Sites that joined this run (counted only when deps.joinRequired). */
  readonly joinedThisRun = new Set<SiteId>();
  readonly sites: SiteRegistry;
  readonly standing: SiteStandings;
  readonly plan: readonly PlannedRound[];
  readonly driver: ModeDriver;
  private readonly change = new ChangeSignal();
  private readonly stopController = new AbortController();
  private readonly downloads: TransferGate;
  readonly uploads: TransferGate;

  constructor(readonly deps: CoordinatorDeps) {
    this.sites = new SiteRegistry(deps.store, deps.onlineWindowMs ?? 20_000, (siteId, online) => {
      deps.logger.info({ siteId }, online ? "site online" : "site left (not seen within the online window)");
      this.emit({ type: "site_presence", siteId, online });
    });
    this.standing = new SiteStandings(deps.store, this.sites.ids());
    this.plan = planRounds(deps.config.rounds, deps.config.evaluation.everyRounds);
    this.uploads = new TransferGate("upload", deps.config.transfers);
    this.downloads = new TransferGate("download", deps.config.transfers);
    this.driver = createModeDriver(this);
  }

  // ---- ModeHost ----

  get config(): FederationConfig {
    return this.deps.config;
  }
  get store(): DurableState {
    return this.deps.store;
  }
  get rng(): Rng {
    return this.deps.rng;
  }
  get logger(): Logger {
    return this.deps.logger;
  }
  get vectorLength(): number {
    return this.deps.vectorLength;
  }
  get ckks(): CkksContext | undefined {
    return this.deps.ckks;
  }
  get sitesToStart(): number | undefined {
    return this.deps.sitesToStart;
  }

  record(site: SiteId): SiteRecord | undefined {
    return this.sites.record(site);
  }

  knownSites(): SiteId[] {
    return this.sites.ids();
  }

  /** Sites online that may take part now: neither revoked nor dropped from the round in progress. */
  onlineSites(): SiteId[] {
    const online = this.sites.online().filter((site) => !this.isExcluded(site));
    return this.deps.joinRequired === true ? online.filter((site) => this.joinedThisRun.has(site)) : online;
  }

  /** Whether `site` still has to join this run (it took part in an earlier one in this process). */
  awaitsJoin(site: SiteId): boolean {
    return this.deps.joinRequired === true && !this.joinedThisRun.has(site);
  }

  isExcluded(site: SiteId): boolean {
    return this.standing.exclusion(site, this.sites.record(site)?.fingerprint) !== undefined;
  }

  /** A call left open when its site's certificate was revoked is refused (the TLS edge refuses new ones). */
  checkNotRevoked(peer: Peer): void {
    if (this.standing.revoked(peer.name, peer.fingerprint))
      throw new FederationError("permission_denied", "certificate refused: revoked");
  }

  emit(event: CoordinatorEvent): void {
    this.deps.onEvent?.(event);
  }

  notify(): void {
    this.change.notify();
  }

  /** Waits until `ready()` returns a value, re-checking on every change; undefined after `timeoutMs`. */
  async waitFor<T>(ready: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
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

  /** Waits for the next change, at most `ms` (a poll's long wait). */
  waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return this.change.wait(ms, signal);
  }

  async plainGlobal(version: number): Promise<Float32Array> {
    const global = this.global;
    if (global !== undefined && global.version === version) return global.vector;
    if (version === 0) return this.deps.initialGlobal;
    const checkpoint = await this.deps.store.checkpoint(version);
    if (checkpoint?.model.kind !== "plain")
      throw new FederationError("not_found", `no global adapter of version ${version}`);
    return checkpoint.model.vector;
  }

  /**
   * Yields chunks until the caller goes away, through the download gate (one download per site, bounded
   * concurrent downloads, a peer that stops taking chunks cancelled), reporting the bytes sent.
   */
  async *countedOut(chunks: Iterable<DataChunk>, peer: Peer, ctx: HandlerContext): AsyncGenerator<DataChunk> {
    const transfer = await this.downloads.open(peer.name, ctx.signal);
    const { stallTimeoutMs } = this.downloads.limits;
    try {
      for (const chunk of chunks) {
        if (ctx.signal.aborted) return;
        this.checkNotRevoked(peer);
        this.emit({ type: "bytes", direction: "out", bytes: chunk.data.length });
        const taken = transfer.watch(stallTimeoutMs, "the chunk was not taken");
        yield chunk;
        taken();
      }
    } finally {
      transfer.close();
    }
  }

  // ---- lifecycle ----

  /** Stops driving rounds; in-flight calls are refused from now on. */
  stop(): void {
    this.stopped = true;
    this.stopController.abort();
    this.change.notify();
  }

  checkStopped(): void {
    if (this.stopped) throw new FederationError("unavailable", "coordinator is stopping");
  }
}
