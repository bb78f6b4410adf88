// The coordinator service's records and events: what it stores, shows to admins and tells observers.
import type { StrategyState } from "../../strategies/index.ts";
import type { CertifiedPeer, LedgerReport, RoundRef } from "../../proto/messages.ts";
import type { SiteId } from "../../crypto/site-id.ts";
import type { RoundKind, StageName } from "../round/stages.ts";

export interface SiteRecord {
  readonly siteId: SiteId;
  /** SHA-256 of the certificate the site joined with. */
  readonly fingerprint: string;
  /** Ed25519 SecAgg identity key, bound to the certificate at first join. */
  readonly identityKey: Uint8Array;
  /** X25519 key that he mode Shamir and decryption shares are sealed to. */
  readonly envelopeKey: Uint8Array;
  /** The certificate (DER) the site joined with and its key's signature over both keys, relayed to peers. */
  readonly certificate: Uint8Array;
  readonly certificateKeySignature: Uint8Array;
  readonly joinedAt: string;
}

/**
 * A site's keys as the coordinator relays them to its peers: with the certificate and signature it sent at
 * Join, which each peer verifies against the CA, so that no key of the coordinator's own choosing is used.
 */
export function certifiedPeerOf(record: SiteRecord): CertifiedPeer {
  return {
    siteId: record.siteId,
    identityKey: record.identityKey,
    envelopePublicKey: record.envelopeKey,
    certificate: record.certificate,
    certificateKeySignature: record.certificateKeySignature,
  };
}

/** A round try as the admin service shows it. */
export interface RoundView {
  readonly runId: number;
  /** The training round it is (train) or follows (eval), from 1: `rounds: 2` gives training rounds 1 and 2. */
  readonly trainingRound: number;
  /** The protocol's round number, shared by train and eval rounds. */
  readonly round: number;
  readonly attempt: number;
  readonly kind: RoundKind;
  readonly outcome: "completed" | "abandoned" | "running";
  readonly participants: number;
  readonly dropouts: number;
  readonly checkpointSha256: string;
  readonly metrics: Readonly<Record<string, number>>;
  readonly reason: string;
}

export interface SiteView {
  readonly siteId: SiteId;
  readonly joinedAt: string;
  readonly lastSeen: string;
  readonly roundsContributed: number;
  readonly roundsDropped: number;
  /** The site's privacy ledger as it last reported it with a poll; null before its first DP charge. */
  readonly ledger: LedgerReport | null;
}

/** The global model after a completed training round: plaintext (none, secagg) or encrypted (he). */
export type GlobalModel =
  | { readonly kind: "plain"; readonly vector: Float32Array; readonly strategyState: StrategyState }
  | { readonly kind: "encrypted"; readonly aggregate: Uint8Array };

export interface Checkpoint {
  /** The training round that produced it. */
  readonly version: number;
  readonly model: GlobalModel;
  readonly sha256: string;
  readonly path: string;
}

export interface AuditRecord {
  readonly seq: number;
  readonly time: string;
  readonly kind: string;
  readonly detailsJson: string;
  readonly hash: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  readonly entries: number;
  readonly firstBadSeq: number;
  readonly detail: string;
}

/** Progress of a run, for logs, metrics and the simulation's display. */
export type CoordinatorEvent =
  | { readonly type: "site_joined"; readonly siteId: SiteId }
  | { readonly type: "site_presence"; readonly siteId: SiteId; readonly online: boolean }
  | {
      readonly type: "key_ceremony";
      readonly keyId: string;
      readonly holders: readonly SiteId[];
      readonly threshold: number;
      readonly outcome: "started" | "completed" | "failed";
    }
  | {
      readonly type: "round_started";
      readonly ref: RoundRef;
      readonly kind: RoundKind;
      readonly participants: readonly SiteId[];
    }
  | {
      readonly type: "stage_started";
      readonly ref: RoundRef;
      readonly stage: StageName;
      readonly expected: number;
    }
  | {
      readonly type: "stage_closed";
      readonly ref: RoundRef;
      readonly stage: StageName;
      readonly answered: number;
      readonly dropouts: readonly SiteId[];
      readonly durationMs: number;
    }
  | {
      readonly type: "site_declined";
      readonly ref: RoundRef;
      readonly siteId: SiteId;
      readonly reason: string;
      readonly detail: string;
    }
  | {
      readonly type: "round_completed";
      readonly ref: RoundRef;
      readonly kind: RoundKind;
      /** The training round it is or follows (coordinator/round/plan.ts). */
      readonly trainingRound: number;
      readonly survivors: readonly SiteId[];
      readonly dropouts: readonly SiteId[];
      readonly metrics: Readonly<Record<string, number>>;
      readonly checkpointSha256: string;
      readonly durationMs: number;
    }
  | {
      readonly type: "round_abandoned";
      readonly ref: RoundRef;
      readonly reason: string;
      readonly dropouts: readonly SiteId[];
    }
  | { readonly type: "bytes"; readonly direction: "in" | "out"; readonly bytes: number }
  | {
      readonly type: "finished";
      readonly completedRounds: number;
      readonly outcome: "completed" | "failed";
      readonly reason: string;
    };

export interface RunSummary {
  readonly outcome: "completed" | "failed" | "stopped";
  readonly completedRounds: number;
  readonly rounds: readonly RoundView[];
  /** Version of the final global adapter (its training round). */
  readonly finalVersion: number;
  readonly reason: string;
}
