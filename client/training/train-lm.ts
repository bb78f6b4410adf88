// Trains a causal language model (its LoRA adapter, or all its weights) on tokenized examples with masked cross-entropy.
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { GaussianSteps } from "../../crypto/dp/accountant.ts";
import { seededRng, type Rng } from "../../crypto/rng.ts";
import type { LlamaModel, LoraHook } from "../../model/llama.ts";
import type { TokenizedExample } from "../data/prompt-format.ts";
import { batchesPerEpoch, shuffledBatches, type PaddedBatch } from "./batches.ts";
import { snapshotVariables } from "./gradients.ts";
import { batchLoss } from "./loss.ts";
import { dpSgdGradientFn, poissonLots, type DpSgdSettings } from "./dp-sgd.ts";
import {
  TrainSettingsError,
  parseTrainSettings,
  trainModel,
  trainSettingsSchema,
  type MicroBatchGradients,
  type TrainModelResult,
  type OptimizerSlot,
  type TrainProgress,
} from "./train-model.ts";

export const fitSettingsSchema = trainSettingsSchema.omit({ totalSteps: true }).extend({
  /** Examples per micro-batch. */
  batchSize: z.number().int().positive(),
  /** Optimizer steps; when absent, `epochs` passes over the data decide. */
  steps: z.number().int().positive().optional(),
  epochs: z.number().positive(),
  /** Seeds the shuffling (and, through the adapter, dropout). */
  seed: z.number().int().nonnegative(),
  /** FedProx μ: adds μ/2·‖w − w₀‖² where w₀ are the trainable weights at the start; 0 disables. */
  proximalMu: z.number().nonnegative(),
});
export type FitSettings = z.infer<typeof fitSettingsSchema>;

/** Optimizer steps a run takes: `steps`, or enough for `epochs` passes. */
export function totalStepsOf(settings: FitSettings, exampleCount: number): number {
  if (settings.steps !== undefined) return settings.steps;
  const microBatches = Math.ceil(settings.epochs * batchesPerEpoch(exampleCount, settings.batchSize));
  return Math.max(1, Math.ceil(microBatches / settings.gradAccumSteps));
}

/** The stream that orders a run's batches (shared with external trainers' batch plans). */
export function shuffleRng(seed: number): Rng {
  return seededRng(`fedtune/train/shuffle/${seed}`);
}

/** Computes a micro-batch's gradients somewhere else (see data-parallel.ts). */
export type BatchGradientFn = (batch: PaddedBatch) => Promise<MicroBatchGradients>;

export interface TrainLanguageModelOptions {
  readonly model: LlamaModel;
  /** The adapter whose updates the forward pass adds; absent for full training. */
  readonly lora?: LoraHook;
  /** What trains: the adapter's trainable variables, or `model.trainableVariables()`. */
  readonly variables: readonly tf.Variable[];
  readonly examples: readonly TokenizedExample[];
  readonly padId: number;
  readonly settings: FitSettings;
  /** Replaces the in-process gradient computation, e.g. with data-parallel workers. */
  readonly gradientFn?: BatchGradientFn;
  readonly onProgress?: (progress: TrainProgress) => void;
  /** Keeps the optimizer state across calls (see OptimizerSlot). */
  readonly optimizerSlot?: OptimizerSlot;
  /** Record-level differential privacy (DP-SGD); excludes `gradientFn`. */
  readonly dpSgd?: DpSgdOptions;
}

/** Record-level DP for trainLanguageModel: DP-SGD settings and the population the lots are drawn from. */
export interface DpSgdOptions extends DpSgdSettings {
  /**
   * Rows the sampling rate refers to (default: the examples given). Pass every row of the dataset,
   * including rows dropped at tokenization, so that the rate matches what the ledger charges.
   */
  readonly populationSize?: number;
}

export interface TrainLanguageModelResult extends TrainModelResult {
  /** With DP-SGD: the steps to charge to the privacy ledger (Poisson rate, σ, count). */
  readonly privacy?: GaussianSteps;
}

/**
 * Shuffles (seeded), pads and trains; the loss is taken only where the examples' loss masks say.
 * With `dpSgd`, lots are Poisson-sampled at rate batchSize/populationSize from `dpSgd.rng` instead,
 * and each step uses the privatised gradient (see dp-sgd.ts).
 */
export async function trainLanguageModel(
  options: TrainLanguageModelOptions,
): Promise<TrainLanguageModelResult> {
  const settings = parseTrainSettings(fitSettingsSchema, options.settings);
  const { model, lora, variables, examples, padId, dpSgd } = options;
  if (examples.length === 0) throw new RangeError("trainLanguageModel: no examples to train on");
  const totalSteps = totalStepsOf(settings, examples.length);
  // zod drops the keys that are not optimizer settings.
  const optimizer = trainSettingsSchema.omit({ totalSteps: true }).parse(settings);
  const proximalMu = settings.proximalMu;
  const common = {
    variables,
    settings: { ...optimizer, totalSteps },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.optimizerSlot ? { optimizerSlot: options.optimizerSlot } : {}),
  };
  const anchor = proximalMu > 0 ? snapshotVariables(variables) : [];
  const proximal = proximalMu > 0 ? { proximal: { mu: proximalMu, anchor } } : {};
  try {
    if (dpSgd !== undefined) {
      if (options.gradientFn)
        throw new TrainSettingsError("DP-SGD computes per-example gradients in-process: no workers");
      if (settings.gradAccumSteps !== 1)
        throw new TrainSettingsError("DP-SGD takes one lot per step: gradAccumSteps must be 1");
      const population = dpSgd.populationSize ?? examples.length;
      const samplingRate = Math.min(1, settings.batchSize / population);
      const result = await trainModel({
        ...common,
        ...proximal,
        batches: poissonLots(examples, samplingRate, totalSteps, padId, dpSgd.rng),
        gradientFn: dpSgdGradientFn(model, lora, variables, dpSgd, samplingRate * population),
      });
      return {
        ...result,
        privacy: { samplingRate, noiseMultiplier: dpSgd.noiseMultiplier, steps: result.steps },
      };
    }
    const batches = shuffledBatches(
      examples,
      settings.batchSize,
      totalSteps * settings.gradAccumSteps,
      padId,
      shuffleRng(settings.seed),
    );
    return options.gradientFn
      ? await trainModel({ ...common, ...proximal, batches, gradientFn: options.gradientFn })
      : await trainModel({
          ...common,
          ...proximal,
          batches,
          lossFn: (batch: PaddedBatch) => batchLoss(model, lora, batch, batch.scoredTokens),
          tokensOf: (batch: PaddedBatch) => batch.tokens,
        });
  } finally {
    tf.dispose(anchor);
  }
}
