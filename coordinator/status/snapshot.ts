// What the status page shows: one snapshot of the runs and sites, built only from figures the coordinator
// holds in aggregate (round sums, participation, presence), never one site's update or evaluation figures.
import { computeEpsilon } from "../../crypto/dp/accountant.ts";
import { siteLevelRoundCharge } from "../../crypto/dp/round-charge.ts";
import type { RoundKind } from "../round/stages.ts";
import type { RoundView, SiteView } from "../service/records.ts";
import type { RunRecord } from "../storage/store.ts";
import type { StandingView } from "../service/site-standing.ts";

/** The consortium-wide evaluation figures a round may carry (strategies/eval-report.ts); nothing else is shown. */
const CHARTED_METRICS = ["loss", "accuracy"] as const;

export interface StageInProgress {
  readonly round: number;
  readonly attempt: number;
  readonly kind: RoundKind;
  readonly stage: string;
  /** When the stage closes and the sites that have not answered count as dropouts (ISO 8601). */
  readonly deadlineAt: string;
}

export interface RoundStatus {
  readonly round: number;
  readonly attempt: number;
  readonly kind: RoundKind;
  readonly outcome: RoundView["outcome"];
  readonly participants: number;
  readonly dropouts: number;
  /** Payload bytes received from / sent to all sites in this try; null when this process did not see it. */
  readonly bytesIn: number | null;
  readonly bytesOut: number | null;
  /** The consortium's example-weighted means (evaluation rounds), or null. */
  readonly loss: number | null;
  readonly accuracy: number | null;
}

export interface RunStatus {
  readonly id: string;
  readonly state: RunRecord["state"];
  readonly privacyMode: string;
  readonly strategy: string;
  /** Training rounds the run plans. */
  readonly trainingRounds: number;
  readonly completedTrainingRounds: number;
  readonly inProgress: StageInProgress | null;
  readonly rounds: readonly RoundStatus[];
}

export interface SiteStatus {
  readonly siteId: string;
  readonly joinedAt: string;
  readonly lastSeen: string;
  readonly online: boolean;
  readonly standing: StandingView["standing"];
  readonly roundsContributed: number;
  readonly roundsDropped: number;
  /** ε the site has spent at most, where the coordinator can bound it; null where only the site knows. */
  readonly epsilonSpent: number | null;
  /** ε the site's own ledger holds, as the site last reported it with a poll; null before any report. */
  readonly epsilonReported: number | null;
}

export interface StatusSnapshot {
  readonly federation: string;
  readonly generatedAt: string;
  /** The run in progress first, then past runs, newest first. */
  readonly runs: readonly RunStatus[];
  readonly sites: readonly SiteStatus[];
}

/** One run as its source knows it: the stored round tries plus what only the live process holds. */
export interface RunSource {
  readonly id: string;
  readonly state: RunStatus["state"];
  readonly privacyMode: string;
  readonly strategy: string;
  readonly trainingRounds: number;
  /** The run's client-level DP, when every site charges the same for a round (level "site"). */
  readonly siteLevelDp: SiteLevelDp | undefined;
  readonly inProgress: StageInProgress | undefined;
  readonly rounds: readonly RoundView[];
  /** Bytes of one round try, when this process saw it. */
  bytesOf(round: number, attempt: number): { readonly in: number; readonly out: number } | undefined;
}

export interface SiteSource extends SiteView {
  readonly online: boolean;
  readonly standing: StandingView["standing"];
  /** Training tries the site was picked for, by run id (each charged its ledger at most once). */
  readonly trainingTriesPicked: ReadonlyMap<string, number>;
}

/** Client-level DP settings when every site charges the same for a round (level "site"), else undefined. */
export interface SiteLevelDp {
  readonly noiseMultiplier: number;
  readonly delta: number;
}

/** The interface the page reads through: the coordinator's runs and sites. */
export interface StatusSources {
  readonly federation: string;
  runs(): readonly RunSource[];
  sites(): readonly SiteSource[];
}

/**
 * The ε a site has spent at most: one Gaussian step at q = 1 per training try it was picked for in a run with
 * client-level DP (crypto/dp/round-charge.ts), composed over runs, at the δ of the latest such run; exactly its
 * ledger's charge when it trained in every such try. Record-level DP's charge depends on each site's own data
 * size, so only client-level DP is bounded here; null when no run used it.
 */
function siteEpsilonBound(runs: readonly RunSource[], picked: ReadonlyMap<string, number>): number | null {
  const charged = runs.flatMap((run) =>
    run.siteLevelDp === undefined ? [] : [{ run, dp: run.siteLevelDp }],
  );
  const latest = charged.at(-1);
  if (latest === undefined) return null;
  const blocks = charged.flatMap(({ run, dp }) => {
    const steps = picked.get(run.id) ?? 0;
    return steps === 0 ? [] : [{ ...siteLevelRoundCharge("bound", dp.noiseMultiplier), steps }];
  });
  if (blocks.length === 0) return 0;
  return computeEpsilon({ blocks, delta: latest.dp.delta }).epsilon;
}

function roundStatus(run: RunSource, view: RoundView): RoundStatus {
  const bytes = run.bytesOf(view.round, view.attempt);
  const [loss, accuracy] = CHARTED_METRICS.map((name) => view.metrics[name] ?? null);
  return {
    round: view.round,
    attempt: view.attempt,
    kind: view.kind,
    outcome: view.outcome,
    participants: view.participants,
    dropouts: view.dropouts,
    bytesIn: bytes?.in ?? null,
    bytesOut: bytes?.out ?? null,
    loss: loss ?? null,
    accuracy: accuracy ?? null,
  };
}

const STATE_ORDER: Record<RunStatus["state"], number> = {
  running: 0,
  queued: 1,
  finished: 2,
  aborted: 2,
  failed: 2,
};

export function gatherStatus(sources: StatusSources, now: Date = new Date()): StatusSnapshot {
  const sourceRuns = sources.runs();
  const runs = sourceRuns.map((run): RunStatus => ({
    id: run.id,
    state: run.state,
    privacyMode: run.privacyMode,
    strategy: run.strategy,
    trainingRounds: run.trainingRounds,
    completedTrainingRounds: run.rounds.filter((r) => r.kind === "train" && r.outcome === "completed").length,
    inProgress: run.inProgress ?? null,
    rounds: run.rounds.map((view) => roundStatus(run, view)),
  }));
  return {
    federation: sources.federation,
    generatedAt: now.toISOString(),
    runs: runs
      .map((run, index) => ({ run, index }))
      .sort((a, b) => STATE_ORDER[a.run.state] - STATE_ORDER[b.run.state] || b.index - a.index)
      .map(({ run }) => run),
    sites: sources.sites().map((site) => ({
      siteId: site.siteId,
      joinedAt: site.joinedAt,
      lastSeen: site.lastSeen,
      online: site.online,
      standing: site.standing,
      roundsContributed: site.roundsContributed,
      roundsDropped: site.roundsDropped,
      epsilonSpent: siteEpsilonBound(sourceRuns, site.trainingTriesPicked),
      epsilonReported: site.ledger?.epsilonSpent ?? null,
    })),
  };
}
