// The round service's view of durable state: the SQLite store plus per-round checkpoints, one commit per round.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import {
  readAdapterCheckpoint,
  readCiphertextCheckpoint,
  readSealedShare,
  writeAdapterCheckpoint,
  writeCiphertextCheckpoint,
  writeSealedShare,
} from "../checkpoints.ts";
import type { AdapterSpec } from "../../model/peft-export.ts";
import type { JsonValue } from "../storage/canonical-json.ts";
import { CoordinatorStore, STORE_FILE, type MetricInput } from "../storage/store.ts";
import { decodeStrategyState, encodeStrategyState } from "../../strategies/index.ts";
import type { RoundKind, SiteId } from "../round/stages.ts";
import { parseSiteId } from "../../crypto/site-id.ts";
import { ledgerReportSchema, type LedgerReport } from "../../proto/messages.ts";
import type {
  AuditRecord,
  AuditVerification,
  Checkpoint,
  GlobalModel,
  RoundView,
  SiteRecord,
  SiteView,
} from "./records.ts";

const ENVELOPE_KEY_META = "site-envelope-key:";
const THRESHOLD_KEY_META = "he-threshold-key";
const KEY_SHARE_META = "he-key-share:";
const ROUND_SHARE_META = "he-round-share:";
const CERTIFICATE_META = "site-certificate:";
const KEY_SIGNATURE_META = "site-certificate-key-signature:";
const LEDGER_META = "site-ledger:";
const STANDING_META = "site-standing:";

/** A holder's decryption share sealed once (`body`) and its key sealed to each site, by recipient (`keys`). */
export interface SealedShare {
  readonly body: Uint8Array;
  readonly keys: ReadonlyMap<SiteId, Uint8Array>;
}

export interface OpenRound {
  readonly round: number;
  readonly attempt: number;
  readonly kind: RoundKind;
  readonly settings: JsonValue;
  readonly participants: readonly SiteId[];
}

/** Run 1 keeps the checkpoint folder of a version-1 store; later runs get a folder each. */
export function runCheckpointDir(storageDir: string, runId: number): string {
  const base = join(storageDir, "checkpoints");
  return runId === 1 ? base : join(base, `run-${runId}`);
}

/**
 * One run's view of the store (its rounds, checkpoints, strategy state, he shares; its audit entries
 * carry its id). Writes go checkpoint first (fsynced, under its final name), then one SQLite transaction with the
 * round's completion, strategy state, metrics and audit entry (coordinator/storage/store.ts), so a
 * crash at any instant restarts at the last completed round.
 */
export class DurableState {
  private constructor(
    private readonly store: CoordinatorStore,
    private readonly checkpointDir: string,
    /** Shapes of the adapter (plain modes); undefined in he mode, whose checkpoints are ciphertexts. */
    private readonly spec: AdapterSpec | undefined,
    readonly runId: number,
    private readonly ownsStore: boolean,
  ) {}

  /** Opens the store on its own (the CLI's export, tests), viewing run `runId`. */
  static open(storageDir: string, spec: AdapterSpec | undefined, runId = 1): DurableState {
    const store = CoordinatorStore.open(join(storageDir, STORE_FILE));
    return new DurableState(store, runCheckpointDir(storageDir, runId), spec, runId, true);
  }

  /** A view of run `runId` over an open store (the coordinator's run service); close() leaves the store open. */
  static forRun(
    store: CoordinatorStore,
    storageDir: string,
    spec: AdapterSpec | undefined,
    runId: number,
  ): DurableState {
    return new DurableState(store, runCheckpointDir(storageDir, runId), spec, runId, false);
  }

  close(): void {
    if (this.ownsStore) this.store.close();
  }

  // --- sites ---

  saveSite(site: SiteRecord): void {
    this.store.transaction(() => {
      this.store.recordSiteJoin(
        { siteId: site.siteId, certFingerprint: site.fingerprint, signingPublicKey: site.identityKey },
        new Date(site.joinedAt),
      );
      this.store.setMeta(`${ENVELOPE_KEY_META}${site.siteId}`, Buffer.from(site.envelopeKey).toString("hex"));
      this.store.setMeta(`${CERTIFICATE_META}${site.siteId}`, Buffer.from(site.certificate).toString("hex"));
      this.store.setMeta(
        `${KEY_SIGNATURE_META}${site.siteId}`,
        Buffer.from(site.certificateKeySignature).toString("hex"),
      );
    });
  }

  sites(): SiteRecord[] {
    return this.store.listSites().flatMap((site) => {
      const [envelopeKey, certificate, signature] = [
        ENVELOPE_KEY_META,
        CERTIFICATE_META,
        KEY_SIGNATURE_META,
      ].map((meta) => this.store.getMeta(`${meta}${site.siteId}`));
      // A site recorded without its certified keys (an older store) joins again before it takes part.
      if (site.signingPublicKey === null || envelopeKey === undefined) return [];
      if (certificate === undefined || signature === undefined) return [];
      return [
        {
          siteId: site.siteId,
          fingerprint: site.certFingerprint,
          identityKey: site.signingPublicKey,
          envelopeKey: new Uint8Array(Buffer.from(envelopeKey, "hex")),
          certificate: new Uint8Array(Buffer.from(certificate, "hex")),
          certificateKeySignature: new Uint8Array(Buffer.from(signature, "hex")),
          joinedAt: site.joinedAt,
        },
      ];
    });
  }

  siteViews(): SiteView[] {
    return this.store.listSites().map((site) => ({
      siteId: site.siteId,
      joinedAt: site.joinedAt,
      lastSeen: site.lastSeen,
      roundsContributed: site.roundsContributed,
      roundsDropped: site.roundsDropped,
      ledger: this.siteLedger(site.siteId),
    }));
  }

  /** The privacy ledger a site reported (checked at the wire); replaced by its next report. */
  saveSiteLedger(siteId: SiteId, report: LedgerReport): void {
    this.store.setMeta(`${LEDGER_META}${siteId}`, JSON.stringify(report));
  }

  private siteLedger(siteId: SiteId): LedgerReport | null {
    const stored = this.store.getMeta(`${LEDGER_META}${siteId}`);
    if (stored === undefined) return null;
    const parsed = ledgerReportSchema.safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : null;
  }

  /** A site's standing (site-standing.ts) as saveSiteStanding wrote it (JSON it wrote itself). */
  siteStanding(siteId: SiteId): unknown {
    const value = this.store.getMeta(`${STANDING_META}${siteId}`);
    return value === undefined ? undefined : JSON.parse(value);
  }

  /** A site's new standing and the audit entry (by `actor`: the coordinator, or an operator) that records why, in one write. */
  saveSiteStanding(
    siteId: SiteId,
    standing: object,
    entry: {
      readonly actor: string;
      readonly action: string;
      readonly details: { readonly [key: string]: JsonValue };
    },
  ): void {
    this.store.transaction(() => {
      this.store.setMeta(`${STANDING_META}${siteId}`, JSON.stringify(standing));
      this.store.audit(entry.actor, entry.action, { siteId, ...entry.details }, new Date());
    });
  }

  touchSite(siteId: SiteId): void {
    this.store.touchSite(siteId, new Date());
  }

  // --- rounds ---

  /** The next try number of a round (tries of a round left open by a crash count too). */
  nextAttempt(round: number, kind: RoundKind): number {
    const tries = this.store.listRounds(this.runId).filter((r) => r.round === round && r.kind === kind);
    return 1 + Math.max(0, ...tries.map((r) => r.attempt));
  }

  openRound(input: OpenRound): number {
    return this.store.openRound({ ...input, runId: this.runId }, new Date());
  }

  dropParticipant(roundId: number, siteId: SiteId, stage: string, reason: string): void {
    this.store.recordParticipation(roundId, siteId, { stage, dropped: true, reason }, new Date());
  }

  abandonRound(roundId: number, reason: string): void {
    this.store.abandonRound(roundId, reason, new Date());
  }

  abandonOpenRound(reason: string): void {
    this.store.abandonOpenRound(this.runId, reason, new Date());
  }

  async completeRound(
    roundId: number,
    input: {
      readonly version: number;
      readonly model: GlobalModel | undefined;
      readonly metrics: Readonly<Record<string, number>>;
      readonly details: { readonly [key: string]: JsonValue };
    },
  ): Promise<Checkpoint | undefined> {
    let checkpoint: Checkpoint | undefined;
    let strategyState: string | undefined;
    if (input.model?.kind === "plain") {
      if (this.spec === undefined) throw new Error("plain checkpoints need the adapter's shapes");
      const ref = await writeAdapterCheckpoint(
        this.checkpointDir,
        input.version,
        input.model.vector,
        this.spec,
      );
      checkpoint = { version: input.version, model: input.model, sha256: ref.sha256, path: ref.path };
      strategyState = encodeStrategyState(input.model.strategyState);
    } else if (input.model?.kind === "encrypted") {
      const ref = writeCiphertextCheckpoint(this.checkpointDir, input.version, input.model.aggregate);
      checkpoint = { version: input.version, model: input.model, sha256: ref.sha256, path: ref.path };
    }
    const metrics: MetricInput[] = Object.entries(input.metrics).map(([name, value]) => ({ name, value }));
    this.store.completeRound(
      {
        roundId,
        ...(checkpoint === undefined
          ? {}
          : { checkpoint: { sha256: checkpoint.sha256, path: checkpoint.path } }),
        ...(strategyState === undefined ? {} : { strategyState }),
        metrics,
        details: input.details,
      },
      new Date(),
    );
    return checkpoint;
  }

  /** Completed training rounds, ascending: the global adapter versions that exist. */
  trainedRounds(): number[] {
    return this.store
      .listRounds(this.runId)
      .filter((r) => r.status === "completed" && r.kind === "train")
      .map((r) => r.round)
      .sort((a, b) => a - b);
  }

  /** Round numbers (train and eval share one numbering) completed so far. */
  completedRounds(): Set<number> {
    return new Set(
      this.store
        .listRounds(this.runId)
        .filter((r) => r.status === "completed")
        .map((r) => r.round),
    );
  }

  /**
   * Abandons a try left open by a crash, removes the checkpoint files a crash left half-written, and
   * returns the last completed training round's checkpoint.
   */
  async resume(): Promise<Checkpoint | undefined> {
    const point = this.store.resume(this.runId, new Date());
    this.removeCrashLeftovers();
    if (point.checkpoint === undefined) return undefined;
    return this.readCheckpoint(point.completedTrainRounds, point.checkpoint, point.strategyState);
  }

  /**
   * Checkpoints are written under a hidden temporary name and renamed into place (checkpoints.ts,
   * durable/atomic-file.ts): `.round-NNNNNN.partial-<pid>` folders and `.<name>.<pid>.tmp` files are
   * what a kill -9 mid-write leaves. No committed checkpoint has such a name.
   */
  private removeCrashLeftovers(): void {
    if (!existsSync(this.checkpointDir)) return;
    for (const name of readdirSync(this.checkpointDir)) {
      if (/^\..+\.partial-\d+$/.test(name) || /^\..+\.\d+\.tmp$/.test(name)) {
        rmSync(join(this.checkpointDir, name), { recursive: true, force: true });
      }
    }
  }

  /** The checkpoint of the training round `version`, checked against its recorded hash. */
  async checkpoint(version: number): Promise<Checkpoint | undefined> {
    const row = this.store
      .listRounds(this.runId)
      .find((r) => r.kind === "train" && r.status === "completed" && r.round === version);
    if (row?.checkpointPath == null || row.checkpointSha256 === null) return undefined;
    return this.readCheckpoint(
      version,
      { path: row.checkpointPath, sha256: row.checkpointSha256 },
      undefined,
    );
  }

  private async readCheckpoint(
    version: number,
    ref: { path: string; sha256: string },
    strategyState: string | undefined,
  ): Promise<Checkpoint> {
    if (this.spec === undefined) {
      return { version, model: { kind: "encrypted", aggregate: readCiphertextCheckpoint(ref) }, ...ref };
    }
    const vector = await readAdapterCheckpoint(ref, this.spec);
    const state = strategyState === undefined ? undefined : decodeStrategyState(strategyState);
    return {
      version,
      model: { kind: "plain", vector, strategyState: state ?? { strategy: "fedavg", step: 0, buffers: {} } },
      ...ref,
    };
  }

  rounds(): RoundView[] {
    const metrics = this.store.listMetrics();
    const rows = this.store.listRounds(this.runId);
    const trainRounds = [...new Set(rows.filter((r) => r.kind === "train").map((r) => r.round))];
    return rows.map((r) => {
      const participation = this.store.listParticipation(r.id);
      return {
        runId: this.runId,
        // Train and eval rounds share one numbering on the wire; people count training rounds.
        trainingRound: trainRounds.filter((round) => round <= r.round).length,
        round: r.round,
        attempt: r.attempt,
        kind: r.kind,
        outcome: r.status === "open" ? "running" : r.status,
        participants: r.participants.length,
        dropouts: participation.filter((p) => p.dropped).length,
        checkpointSha256: r.checkpointSha256 ?? "",
        metrics: Object.fromEntries(
          metrics.filter((m) => m.roundId === r.id && m.siteId === null).map((m) => [m.name, m.value]),
        ),
        reason: r.reason ?? "",
      };
    });
  }

  /** Training tries each site was picked for (the status page's ε bound; coordinator/status/snapshot.ts). */
  trainingTriesPicked(): Map<string, number> {
    const picked = new Map<string, number>();
    for (const r of this.store.listRounds(this.runId))
      if (r.kind === "train")
        for (const site of r.participants) picked.set(site, (picked.get(site) ?? 0) + 1);
    return picked;
  }

  // --- audit ---

  /** An audit entry of this run: its details carry the run id. */
  audit(action: string, details: { readonly [key: string]: JsonValue }): void {
    this.store.audit("coordinator", action, { run: this.runId, ...details }, new Date());
  }

  auditEntries(fromSeq: number): AuditRecord[] {
    return this.store.listAudit(Math.max(1, fromSeq)).map((entry) => ({
      seq: entry.seq,
      time: entry.time,
      kind: `${entry.action}`,
      detailsJson: JSON.stringify({ actor: entry.actor, ...(entry.details as object) }),
      hash: entry.hash,
    }));
  }

  verifyAudit(): AuditVerification {
    const result = this.store.verifyAuditChain();
    return result.ok
      ? { ok: true, entries: result.entries, firstBadSeq: 0, detail: `head ${result.headHash}` }
      : { ok: false, entries: result.entries, firstBadSeq: result.firstBadSeq, detail: result.reason };
  }

  // --- he mode: the threshold key ceremony and sealed decryption shares ---

  /**
   * The completed ceremony (`record`: public transcript, key and settings, as JSON), the Shamir shares
   * sealed to each holder (by recipient, then sender) and the audit entry, in one write.
   */
  saveThresholdKey(
    record: object,
    keyId: string,
    keyShares: ReadonlyMap<SiteId, ReadonlyMap<SiteId, Uint8Array>>,
    audit: { [key: string]: JsonValue },
  ): void {
    this.store.transaction(() => {
      for (const [recipient, bySender] of keyShares)
        for (const [sender, sealed] of bySender)
          this.store.setMeta(`${KEY_SHARE_META}${keyId}:${recipient}:${sender}`, base64(sealed));
      this.store.setMeta(THRESHOLD_KEY_META, JSON.stringify(record));
      this.audit("key_ceremony", audit);
    });
  }

  /** The completed ceremony as saveThresholdKey stored it (JSON it wrote itself). */
  thresholdKey(): unknown {
    const value = this.store.getMeta(THRESHOLD_KEY_META);
    return value === undefined ? undefined : JSON.parse(value);
  }

  /** The Shamir share of `sender`'s secret sealed to `recipient`. */
  keyShare(keyId: string, recipient: SiteId, sender: SiteId): Uint8Array | undefined {
    return fromBase64(this.store.getMeta(`${KEY_SHARE_META}${keyId}:${recipient}:${sender}`));
  }

  /**
   * reveal "sites": each answering holder's decryption share of round `round` sealed once (`body`, a file next to
   * the checkpoints, written first), then its key sealed to each site (`keys`, by recipient) in one write.
   */
  saveRoundShares(keyId: string, round: number, shares: ReadonlyMap<SiteId, SealedShare>): void {
    for (const [holder, { body }] of shares) writeSealedShare(this.checkpointDir, round, holder, body);
    const name = this.roundShareKey(keyId, round);
    this.store.transaction(() => {
      for (const [holder, { keys }] of shares)
        for (const [recipient, key] of keys)
          this.store.setMeta(`${name}:${recipient}:${holder}`, base64(key));
      this.store.setMeta(name, JSON.stringify([...shares.keys()].sort()));
    });
  }

  /** The keys of round `round`'s decryption shares sealed to `recipient`, by holder; undefined when there are none. */
  roundShareKeys(keyId: string, round: number, recipient: SiteId): Map<SiteId, Uint8Array> | undefined {
    const name = this.roundShareKey(keyId, round);
    const holders = this.store.getMeta(name);
    if (holders === undefined) return undefined;
    const keys = new Map<SiteId, Uint8Array>();
    for (const holder of (JSON.parse(holders) as string[]).map(parseSiteId)) {
      const key = fromBase64(this.store.getMeta(`${name}:${recipient}:${holder}`));
      if (key === undefined) return undefined;
      keys.set(holder, key);
    }
    return keys;
  }

  /** `holder`'s sealed decryption share of round `round` (opened with a key from roundShareKeys). */
  roundShareBody(round: number, holder: SiteId): Uint8Array | undefined {
    return readSealedShare(this.checkpointDir, round, holder);
  }

  /** Round numbers restart with each run: the shares' key names the run. */
  private roundShareKey(keyId: string, round: number): string {
    return `${ROUND_SHARE_META}${this.runId}:${keyId}:${round}`;
  }
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
const fromBase64 = (value: string | undefined): Uint8Array | undefined =>
  value === undefined ? undefined : new Uint8Array(Buffer.from(value, "base64"));

/** The training round to export: `requested`, or the last completed one; a problem to report when there is none. */
export function pickTrainedRound(
  trained: readonly number[],
  requested: number | undefined,
): { readonly round: number } | { readonly problem: string } {
  const round = requested ?? trained.at(-1);
  if (round === undefined) return { problem: "no training round has completed yet" };
  if (!trained.includes(round))
    return {
      problem: `round ${round} is not a completed training round (completed: ${trained.join(", ") || "none"})`,
    };
  return { round };
}
