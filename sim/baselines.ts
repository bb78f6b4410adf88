// The comparison's reference points: each site training alone (local-only) and all data pooled (centralized, the upper bound).
import type { Logger } from "pino";
import type { Example } from "../client/data/rows.ts";
import { trainLora } from "../client/training/train-lora.ts";
import type { LoadedModel } from "../model/load.ts";
import type { LoraAdapter, LoraConfig } from "../model/lora.ts";
import { createLoraAdapter } from "../model/lora.ts";
import { evaluateSet } from "./evaluate.ts";
import type { SiteTrainingData } from "./datasets.ts";
import type { EvalFigures, EvalSet } from "./evaluate.ts";
import type { ComparisonRow } from "./report/metrics.ts";

/** What every setting of the comparison trains with, so that they differ only in where data may go. */
export interface TrainingPlan {
  readonly lora: LoraConfig;
  /** Optimizer steps a site takes over the whole run (rounds × local steps in the federation). */
  readonly stepsPerSite: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly seqLen: number;
  readonly seed: number;
  /** Threads for data-parallel gradients. */
  readonly workers: number;
}

export interface AdapterScores {
  readonly global: EvalFigures;
  readonly perSite: Readonly<Record<string, EvalFigures>>;
}

/** Scores the base model with `adapter` (or alone) on the global test set and on each site's validation set. */
export function scoreAdapter(
  base: LoadedModel,
  adapter: LoraAdapter | undefined,
  test: EvalSet,
  sites: readonly Pick<SiteTrainingData, "siteId" | "validation">[],
): AdapterScores {
  const lm = adapter === undefined ? { model: base.model } : { model: base.model, adapter };
  const perSite: Record<string, EvalFigures> = {};
  for (const site of sites) perSite[site.siteId] = evaluateSet(lm, base.tokenizer, site.validation);
  return { global: evaluateSet(lm, base.tokenizer, test), perSite };
}

async function trainAdapter(
  base: LoadedModel,
  examples: readonly Example[],
  plan: TrainingPlan,
  steps: number,
  gradAccumSteps: number,
  logger: Logger,
): Promise<LoraAdapter> {
  const adapter = createLoraAdapter(base.model, plan.lora);
  try {
    await trainLora({
      model: base.model,
      adapter,
      examples,
      tokenizer: base.tokenizer,
      settings: {
        learningRate: plan.learningRate,
        batchSize: plan.batchSize,
        seqLen: plan.seqLen,
        steps,
        gradAccumSteps,
        seed: plan.seed,
        schedule: "constant",
      },
      logger,
      workers: plan.workers,
    });
    return adapter;
  } catch (error) {
    adapter.dispose();
    throw error;
  }
}

/**
 * Every site trains its own adapter on its own records for the federation's whole step budget.
 * Global accuracy is the mean over the sites' adapters; each site is scored on its own validation set.
 */
export async function runLocalOnly(
  base: LoadedModel,
  sites: readonly SiteTrainingData[],
  test: EvalSet,
  plan: TrainingPlan,
  logger: Logger,
): Promise<ComparisonRow> {
  const started = performance.now();
  let globalSum = 0;
  const siteAccuracy: Record<string, number> = {};
  for (const site of sites) {
    const adapter = await trainAdapter(base, site.train, plan, plan.stepsPerSite, 1, logger);
    try {
      const scores = scoreAdapter(base, adapter, test, [site]);
      globalSum += scores.global.accuracy;
      siteAccuracy[site.siteId] = scores.perSite[site.siteId]?.accuracy ?? Number.NaN;
      logger.info(
        { site: site.siteId, global: scores.global.accuracy, own: siteAccuracy[site.siteId] },
        "local-only site scored",
      );
    } finally {
      adapter.dispose();
    }
  }
  return {
    setting: "local-only",
    globalAccuracy: globalSum / sites.length,
    siteAccuracy,
    epsilon: null,
    bytesSent: 0,
    wallTimeMs: performance.now() - started,
  };
}

/**
 * All records pooled in one place, trained for as many steps as a federated site takes, each step
 * accumulating one micro-batch per site: the same examples seen as in the federation, no privacy.
 */
export async function runCentralized(
  base: LoadedModel,
  sites: readonly SiteTrainingData[],
  test: EvalSet,
  plan: TrainingPlan,
  logger: Logger,
): Promise<ComparisonRow> {
  const started = performance.now();
  const pooled = sites.flatMap((s) => s.train);
  const adapter = await trainAdapter(base, pooled, plan, plan.stepsPerSite, sites.length, logger);
  try {
    const scores = scoreAdapter(base, adapter, test, sites);
    return {
      setting: "centralized",
      globalAccuracy: scores.global.accuracy,
      siteAccuracy: Object.fromEntries(Object.entries(scores.perSite).map(([k, v]) => [k, v.accuracy])),
      epsilon: null,
      bytesSent: 0,
      wallTimeMs: performance.now() - started,
    };
  } finally {
    adapter.dispose();
  }
}
