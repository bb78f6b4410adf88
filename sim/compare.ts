// `fedtune sim compare`: the same sites under local-only, centralized and federated training in each privacy mode, with and without DP.
import { join } from "node:path";
import type { Logger } from "pino";
import { strategyModeConflict } from "../coordinator/config.ts";
import { strategyConfigSchema } from "../strategies/config.ts";
import type { PrivacyMode } from "../proto/messages.ts";
import { runCentralized, runLocalOnly } from "./baselines.ts";
import { runFederated } from "./federated.ts";
import type { FederatedRun } from "./federated.ts";
import type { DpLevel, SimOptions } from "./options.ts";
import { privacyLabel } from "./options.ts";
import { prepareRun } from "./prepare.ts";
import type { PreparedRun } from "./prepare.ts";
import { withTargetEpsilon } from "./privacy-sweep.ts";
import type { ProgressListener } from "./progress.ts";
import type { ComparisonRow } from "./report/metrics.ts";
import { finishRun, measureRunLeakage, runSettingsOf, scoreBaseModel } from "./runner.ts";
import type { LeakageFigures } from "./leakage/probe.ts";
import type { SimResult } from "./runner.ts";

export interface ComparisonPlan {
  readonly modes: readonly PrivacyMode[];
  /** DP level of the DP variants; "none" runs only the variants without DP. */
  readonly dpLevel: DpLevel;
  /**
   * Target ε of a privacy–utility sweep (∞ = no DP): when given, the federated rows are one run per
   * target in the first usable mode, each with the noise the accountant picks for it.
   */
  readonly epsilons: readonly number[];
}

function federatedRow(setting: string, run: FederatedRun, leakage: LeakageFigures | null): ComparisonRow {
  return {
    setting,
    globalAccuracy: run.final.global.accuracy,
    siteAccuracy: Object.fromEntries(Object.entries(run.final.perSite).map(([k, v]) => [k, v.accuracy])),
    epsilon: run.epsilon,
    bytesSent: run.bytesSent,
    wallTimeMs: run.wallTimeMs,
    leakage,
  };
}

/** One federated run per target ε, noise by the accountant; the ∞ run (no DP) is the one charted by round. */
async function runSweep(
  prepared: PreparedRun,
  options: SimOptions,
  mode: PrivacyMode,
  plan: ComparisonPlan,
  logger: Logger,
  progress: ProgressListener,
): Promise<{ rows: ComparisonRow[]; shown: FederatedRun | undefined }> {
  if (plan.dpLevel === "none") throw new RangeError("an ε sweep needs a DP level (record or site)");
  const records = prepared.datasets.sites.map((s) => s.train.length);
  const rows: ComparisonRow[] = [];
  let shown: FederatedRun | undefined;
  for (const target of plan.epsilons) {
    const finite = Number.isFinite(target);
    const runOptions: SimOptions = finite
      ? withTargetEpsilon({ ...options, privacy: mode, dp: plan.dpLevel, targetEpsilon: target }, records)
      : { ...options, privacy: mode, dp: "none" };
    const label = finite
      ? `federated ${privacyLabel(mode, plan.dpLevel, runOptions.noiseMultiplier)}, target ε ${target}`
      : `federated ${mode}, ε = ∞`;
    progress({ type: "step", text: label });
    const run = await runFederated(
      prepared,
      runOptions,
      join(prepared.outDir, `federated-${mode}-epsilon-${finite ? target : "inf"}`),
      logger,
      progress,
      { everyRound: !finite },
    );
    const leakage = await measureRunLeakage(prepared, run.adapterDir, progress);
    rows.push({ ...federatedRow(label, run, leakage), targetEpsilon: finite ? target : null });
    if (!finite) shown = run;
  }
  return { rows, shown };
}

export async function runComparison(
  options: SimOptions,
  plan: ComparisonPlan,
  logger: Logger,
  progress: ProgressListener,
): Promise<SimResult> {
  const started = performance.now();
  const prepared = await prepareRun(options, logger, progress);
  try {
    const baseline = scoreBaseModel(prepared, progress);
    const rows: ComparisonRow[] = [];
    progress({ type: "step", text: "local-only: every site trains alone" });
    rows.push(
      await runLocalOnly(
        prepared.base,
        prepared.datasets.sites,
        prepared.datasets.test,
        prepared.plan,
        logger,
      ),
    );
    progress({ type: "step", text: "centralized: all records pooled (upper bound)" });
    rows.push(
      await runCentralized(
        prepared.base,
        prepared.datasets.sites,
        prepared.datasets.test,
        prepared.plan,
        logger,
      ),
    );
    const strategy = strategyConfigSchema.parse({ name: options.strategy });
    let shown: FederatedRun | undefined;
    // The round charts show the headline setting: secure aggregation without DP, else the first run.
    const headline: PrivacyMode | undefined = plan.modes.includes("secagg")
      ? "secagg"
      : plan.modes.find((m) => strategyModeConflict(strategy, m) === undefined);
    if (plan.epsilons.length > 0 && headline !== undefined) {
      const sweep = await runSweep(prepared, options, headline, plan, logger, progress);
      rows.push(...sweep.rows);
      shown = sweep.shown;
    }
    for (const mode of plan.epsilons.length > 0 ? [] : plan.modes) {
      const conflict = strategyModeConflict(strategy, mode);
      if (conflict !== undefined) {
        progress({ type: "step", text: `skipping federated ${mode}: ${conflict}` });
        continue;
      }
      for (const dp of plan.dpLevel === "none" ? (["none"] as const) : (["none", plan.dpLevel] as const)) {
        const label = `federated ${privacyLabel(mode, dp, options.noiseMultiplier)}`;
        progress({ type: "step", text: label });
        const runOptions: SimOptions = { ...options, privacy: mode, dp };
        const isHeadline = mode === headline && dp === "none";
        const run = await runFederated(
          prepared,
          runOptions,
          join(prepared.outDir, `federated-${mode}-${dp}`),
          logger,
          progress,
          { everyRound: isHeadline },
        );
        rows.push(federatedRow(label, run, await measureRunLeakage(prepared, run.adapterDir, progress)));
        if (isHeadline) shown = run;
      }
    }
    return await finishRun(
      prepared,
      {
        title: `Privacy–utility comparison over ${options.sites} synthetic hospitals`,
        settings: runSettingsOf(options),
        rounds: shown?.rounds ?? [],
        baseline,
        leakage: null,
        sitePrivacy: [],
        comparison: rows,
      },
      performance.now() - started,
    );
  } finally {
    prepared.base.model.dispose();
  }
}
