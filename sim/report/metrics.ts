// The shape of a simulation's metrics.json: run settings, per-round figures, the comparison table.
import type { LeakageFigures } from "../leakage/probe.ts";
import type { SecretRanking } from "../leakage/secret-rank.ts";
import type { EvalFigures } from "../evaluate.ts";
import type { ProtectOverTrain } from "../protect-cost.ts";
import type { SitePrivacy } from "../site-privacy.ts";

// Defined where it is measured (sim/evaluate.ts); metrics.json embeds it.
export type { EvalFigures } from "../evaluate.ts";

export interface RoundMetrics {
  readonly round: number;
  /** The global adapter after this round, on the global held-out test set. */
  readonly global: EvalFigures | null;
  /** The global adapter after this round, on each site's own validation set. */
  readonly perSite: Readonly<Record<string, EvalFigures>>;
  /** Largest ε any site has spent so far (null without DP). */
  readonly epsilon: number | null;
  /** Bytes the sites sent to the coordinator this round, summed. */
  readonly bytesSent: number;
  /** Bytes the coordinator sent to the sites this round, summed. */
  readonly bytesReceived: number;
  readonly participants: number;
  readonly dropouts: number;
  /** Wall time per protocol stage (e.g. "train", "share-keys", "unmask", "aggregate", "evaluate"). */
  readonly stageDurationsMs: Readonly<Record<string, number>>;
  readonly wallTimeMs: number;
  /**
   * Per site, its protect time (mask or encrypt, and in he mode its decryption share) ÷ its local training
   * time, over the sites that trained this round (sim/protect-cost.ts); absent in older reports.
   */
  readonly protectOverTrain?: ProtectOverTrain | null;
}

export interface SiteSummary {
  readonly siteId: string;
  readonly kind: string;
  readonly displayName: string;
  readonly trainRecords: number;
  readonly validationRecords: number;
}

/** One line of the privacy–utility table. */
export interface ComparisonRow {
  /** e.g. "local-only", "centralized", "federated secagg", "federated secagg + DP". */
  readonly setting: string;
  readonly globalAccuracy: number;
  /** Accuracy on each site's own validation set (local-only: each site's own adapter). */
  readonly siteAccuracy: Readonly<Record<string, number>>;
  readonly epsilon: number | null;
  readonly bytesSent: number;
  readonly wallTimeMs: number;
  /** The ε a sweep row was run for (null: the run without DP); absent outside a sweep. */
  readonly targetEpsilon?: number | null;
  /** Canary exposure and membership inference against the setting's final global adapter (federated rows). */
  readonly leakage?: LeakageFigures | null;
}

export interface RunSettings {
  readonly seed: number;
  readonly sites: number;
  readonly rounds: number;
  readonly privacy: string;
  readonly strategy: string;
  readonly dp: string;
  readonly dropout: number;
  readonly model: string;
  readonly [key: string]: string | number | boolean | null;
}

/** What one site's de-identification did to its training rows (`fedtune sim --phi`). */
export interface SiteDeidentification {
  /** Identifiers replaced, by kind. */
  readonly replaced: Readonly<Record<string, number>>;
  /** Rows refused because a high-risk shape survived (`required`). */
  readonly refusedRows: number;
}

/** De-identification in a `--phi` run: per site, and whether the trained adapter says any planted identifier. */
export interface DeidentificationReport {
  /** What each site's own client reported replacing (never sent to the coordinator). */
  readonly sites: Readonly<Record<string, SiteDeidentification>>;
  readonly leakCheck: {
    readonly prompts: number;
    readonly generatedCharacters: number;
    /** Planted (true) identifiers found verbatim in the global adapter's greedy generations. */
    readonly identifiersFound: readonly string[];
  } | null;
  /**
   * Canary-style probe: per site, the rank of a planted record number's true last digits among all
   * candidates under the global adapter (sim/phi/identifier-rank.ts); null without a global adapter.
   */
  readonly identifierRanks: readonly { readonly siteId: string; readonly ranking: SecretRanking }[] | null;
}

export interface SimMetrics {
  readonly version: 1;
  readonly title: string;
  readonly settings: RunSettings;
  readonly sites: readonly SiteSummary[];
  readonly rounds: readonly RoundMetrics[];
  /** Present after `fedtune sim compare`. */
  readonly comparison: readonly ComparisonRow[] | null;
  readonly wallTimeMs: number;
  /** The base model's accuracy before any fine-tuning, as a reference line. */
  readonly baseline: EvalFigures | null;
  /** Canary exposure and membership inference against the final global adapter (`fedtune sim`). */
  readonly leakage: LeakageFigures | null;
  /** ε per site from each site's own ledger (empty without DP). */
  readonly sitePrivacy: readonly SitePrivacy[];
  /** Present in `--phi` runs only. */
  readonly deidentification?: DeidentificationReport;
}

/** Mean of a site→value record, or NaN when it is empty. */
export function meanOf(values: Readonly<Record<string, number>>): number {
  const v = Object.values(values);
  return v.length === 0 ? Number.NaN : v.reduce((s, x) => s + x, 0) / v.length;
}
