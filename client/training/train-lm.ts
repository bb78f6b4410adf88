// Trains a causal language model (its LoRA adapter, or all its weights) on tokenized examples with masked cross-entropy.
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { seededRng } from "../../crypto/rng.ts";
import type { LlamaModel, LoraHook } from "../../model/llama.ts";
import type { TokenizedExample } from "../data/prompt-format.ts";
import { batchesPerEpoch, shuffledBatches, type PaddedBatch } from "./batches.ts";
import { snapshotVariables } from "./gradients.ts";
import { batchTensors, maskedNllSum } from "./loss.ts";
import {
  parseTrainSettings,
  trainModel,
  trainSettingsSchema,
  type MicroBatchGradients,
  type TrainModelResult,
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

/**
 * Mean next-token NLL over the batch's scored tokens, scaled by `scoredTokens / normaliser` so that
 * shards of one batch (data-parallel workers) sum to the whole batch's mean.
 */
export function batchLoss(
  model: LlamaModel,
  lora: LoraHook | undefined,
  batch: PaddedBatch,
  normaliser: number,
): tf.Scalar {
  return tf.tidy(() => {
    const { inputIds, targets, mask } = batchTensors(batch);
    const logits = model.forward(inputIds, lora, { training: true });
    return maskedNllSum(logits, targets, mask).div(Math.max(1, normaliser));
  });
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
}

/** Shuffles (seeded), pads and trains; the loss is taken only where the examples' loss masks say. */
export async function trainLanguageModel(options: TrainLanguageModelOptions): Promise<TrainModelResult> {
  const settings = parseTrainSettings(fitSettingsSchema, options.settings);
  const { model, lora, variables, examples, padId } = options;
  if (examples.length === 0) throw new RangeError("trainLanguageModel: no examples to train on");
  const totalSteps = totalStepsOf(settings, examples.length);
  const batches = shuffledBatches(
    examples,
    settings.batchSize,
    totalSteps * settings.gradAccumSteps,
    padId,
    seededRng(`fedtune/train/shuffle/${settings.seed}`),
  );
  // zod drops the keys that are not optimizer settings.
  const optimizer = trainSettingsSchema.omit({ totalSteps: true }).parse(settings);
  const proximalMu = settings.proximalMu;
  const anchor = proximalMu > 0 ? snapshotVariables(variables) : [];
  try {
    const common = {
      variables,
      batches,
      settings: { ...optimizer, totalSteps },
      ...(proximalMu > 0 ? { proximal: { mu: proximalMu, anchor } } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    };
    return options.gradientFn
      ? await trainModel({ ...common, gradientFn: options.gradientFn })
      : await trainModel({
          ...common,
          lossFn: (batch: PaddedBatch) => batchLoss(model, lora, batch, batch.scoredTokens),
          tokensOf: (batch: PaddedBatch) => batch.tokens,
        });
  } finally {
    tf.dispose(anchor);
  }
}
