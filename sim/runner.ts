// `fedtune sim`: prepares the synthetic hospitals, runs one federation over the real protocol, writes the report.
import type { Logger } from "pino";
import { scoreAdapter } from "./baselines.ts";
import { runFederated } from "./federated.ts";
import type { SimOptions } from "./options.ts";
import { privacyLabel } from "./options.ts";
import { prepareRun } from "./prepare.ts";
import type { PreparedRun } from "./prepare.ts";
import type { ProgressListener } from "./progress.ts";
import type { ComparisonRow, EvalFigures, RunSettings, SimMetrics } from "./report/metrics.ts";
import { summaryLines } from "./report/table.ts";
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
  parts: Pick<SimMetrics, "title" | "settings" | "rounds" | "baseline"> & {
    comparison: readonly ComparisonRow[] | null;
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
    wallTimeMs,
  };
  const files = await writeReport(prepared.outDir, metrics);
  return { metrics, summary: summaryLines(metrics), reportPath: files.html };
}

export async function runSimulation(
  options: SimOptions,
  logger: Logger,
  progress: ProgressListener,
): Promise<SimResult> {
  const started = performance.now();
  const prepared = await prepareRun(options, logger, progress);
  try {
    const baseline = scoreBaseModel(prepared, progress);
    const federated = await runFederated(prepared, options, prepared.outDir, logger, progress);
    return await finishRun(
      prepared,
      {
        title: `Federation of ${options.sites} synthetic hospitals (${privacyLabel(options.privacy, options.dp, options.noiseMultiplier)})`,
        settings: runSettingsOf(options),
        rounds: federated.rounds,
        baseline,
        comparison: null,
      },
      performance.now() - started,
    );
  } finally {
    prepared.base.model.dispose();
  }
}
