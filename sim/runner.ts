// `fedtune sim`: prepares the synthetic hospitals, runs one federation over the real protocol, writes the report.
import type { Logger } from "pino";
import { scoreAdapter } from "./baselines.ts";
import { runFederated } from "./federated.ts";
import type { SimOptions } from "./options.ts";
import { privacyLabel } from "./options.ts";
import { prepareRun } from "./prepare.ts";
import type { PreparedRun } from "./prepare.ts";
import type { ProgressListener } from "./progress.ts";
import { rankPlantedIdentifiers } from "./phi/identifier-rank.ts";
import { checkForLeaks } from "./phi/leak-check.ts";
import type {
  ComparisonRow,
  DeidentificationReport,
  EvalFigures,
  RunSettings,
  SimMetrics,
} from "./report/metrics.ts";
import { summaryLines } from "./report/table.ts";
import { measureLeakage } from "./leakage/probe.ts";
import { readSitePrivacy } from "./site-privacy.ts";
import { withTargetEpsilon } from "./privacy-sweep.ts";
import type { LeakageFigures } from "./leakage/probe.ts";
import { writeReport } from "./report/write-report.ts";

export interface SimResult {
  readonly metrics: SimMetrics;
  /** The terminal summary table. */
  readonly summary: readonly string[];
  readonly reportPath: string;
}

export function runSettingsOf(options: SimOptions): RunSettings {
  return {
    seed: options.seed,
    sites: options.sites,
    rounds: options.rounds,
    privacy: options.privacy,
    strategy: options.strategy,
    serverLearningRate: options.serverLearningRate ?? "strategy default",
    dp: options.dp === "none" ? "none" : privacyLabel(options.privacy, options.dp, options.noiseMultiplier),
    dropout: options.dropout,
    model: options.model,
    concentration: options.concentration,
    localSteps: options.localSteps,
    evaluateEvery: options.evaluateEvery,
    learningRate: options.learningRate,
    batchSize: options.batchSize,
    loraRank: options.loraRank,
    trainFormat: options.trainFormat,
    workers: options.workers ?? options.sites,
    isolation: options.isolation,
    participation: options.participation,
    slowSites: options.slowSites,
    restartAfterRound: options.restartAfterRound,
    ...(options.targetEpsilon === undefined ? {} : { targetEpsilon: options.targetEpsilon }),
    ...(options.preset === undefined ? {} : { preset: options.preset }),
  };
}

/** The base model before any fine-tuning, on the global test set: the floor every setting should clear. */
export function scoreBaseModel(prepared: PreparedRun, progress: ProgressListener): EvalFigures {
  progress({ type: "step", text: "scoring the base model on the global test set" });
  return scoreAdapter(prepared.base, undefined, prepared.datasets.test, []).global;
}

/** Writes the report files and builds the summary. */
export async function finishRun(
  prepared: PreparedRun,
  parts: Pick<SimMetrics, "title" | "settings" | "rounds" | "baseline" | "leakage" | "sitePrivacy"> & {
    comparison: readonly ComparisonRow[] | null;
    deidentification?: DeidentificationReport;
  },
  wallTimeMs: number,
): Promise<SimResult> {
  const metrics: SimMetrics = {
    version: 1,
    title: parts.title,
    settings: parts.settings,
    sites: prepared.sites,
    baseline: parts.baseline,
    rounds: parts.rounds,
    comparison: parts.comparison,
    leakage: parts.leakage,
    sitePrivacy: parts.sitePrivacy,
    wallTimeMs,
    ...(parts.deidentification === undefined ? {} : { deidentification: parts.deidentification }),
  };
  const files = await writeReport(prepared.outDir, metrics);
  return { metrics, summary: summaryLines(metrics), reportPath: files.html };
}

/** The leakage probes against a run's final global adapter (none when no round completed). */
export async function measureRunLeakage(
  prepared: PreparedRun,
  adapterDir: string | null,
  progress: ProgressListener,
): Promise<LeakageFigures | null> {
  if (adapterDir === null) return null;
  const canaries = prepared.leakage.canaries.length;
  progress({
    type: "step",
    text: `leakage: ${canaries > 0 ? `exposure of ${canaries} canaries, ` : ""}membership inference on ${prepared.leakage.siteId}`,
  });
  return measureLeakage(prepared.base, adapterDir, prepared.leakage, prepared.files);
}

export async function runSimulation(
  requested: SimOptions,
  logger: Logger,
  progress: ProgressListener,
): Promise<SimResult> {
  const started = performance.now();
  const prepared = await prepareRun(requested, logger, progress);
  const options = withTargetEpsilon(
    requested,
    prepared.datasets.sites.map((s) => s.train.length),
  );
  try {
    const baseline = scoreBaseModel(prepared, progress);
    const federated = await runFederated(prepared, options, prepared.outDir, logger, progress);
    let deidentification: DeidentificationReport | undefined;
    if (options.phi) {
      progress({
        type: "step",
        text: "probing the global adapter for planted identifiers (greedy generations, record-number ranks)",
      });
      const adapterDir = federated.adapterDir;
      deidentification = {
        sites: federated.deidentified,
        leakCheck:
          adapterDir === null ? null : await checkForLeaks(prepared.base, adapterDir, prepared.planted),
        identifierRanks:
          adapterDir === null
            ? null
            : await rankPlantedIdentifiers(prepared.base, adapterDir, prepared.identifierProbes, {
                format: options.trainFormat,
                seqLen: options.seqLen,
                seed: options.seed,
              }),
      };
    }
    return await finishRun(
      prepared,
      {
        title: `Federation of ${options.sites} synthetic hospitals (${privacyLabel(options.privacy, options.dp, options.noiseMultiplier)})`,
        settings: runSettingsOf(options),
        rounds: federated.rounds,
        baseline,
        leakage: await measureRunLeakage(prepared, federated.adapterDir, progress),
        sitePrivacy: await readSitePrivacy(
          prepared.outDir,
          prepared.sites.map((s) => s.siteId),
        ),
        comparison: null,
        ...(deidentification === undefined ? {} : { deidentification }),
      },
      performance.now() - started,
    );
  } finally {
    prepared.base.model.dispose();
  }
}
