// LoRA fine-tuning of a base model on validated rows: tokenize, then trainLanguageModel over the adapter's weights.
import type { Logger } from "pino";
import type { GaussianSteps } from "../../crypto/dp/accountant.ts";
import { z } from "zod";
import type { LlamaModel } from "../../model/llama.ts";
import type { LoraAdapter } from "../../model/lora.ts";
import type { InvalidRow } from "../data/load-jsonl.ts";
import { tokenizeExamples, type PromptTokenizer, type TokenizedDataset } from "../data/prompt-format.ts";
import type { Example } from "../data/rows.ts";
import { GradientWorkerPool } from "./data-parallel.ts";
import type { DpSgdSettings } from "./dp-sgd.ts";
import {
  DEFAULT_TRAIN_SETTINGS,
  TrainSettingsError,
  parseTrainSettings,
  type TrainModelResult,
  type OptimizerSlot,
  type TrainProgress,
} from "./train-model.ts";
import { fitSettingsSchema, trainLanguageModel } from "./train-lm.ts";

const loraTrainSettingsSchema = fitSettingsSchema.extend({
  /** Tokens per sequence, prompt and response together; longer rows are right-truncated. */
  seqLen: z.number().int().min(2),
});
export type LoraTrainSettings = z.infer<typeof loraTrainSettingsSchema>;

export const DEFAULT_LORA_TRAIN_SETTINGS: LoraTrainSettings = {
  ...DEFAULT_TRAIN_SETTINGS,
  learningRate: 1e-3,
  batchSize: 8,
  epochs: 1,
  seed: 0,
  proximalMu: 0,
  seqLen: 256,
};

export interface TrainLoraOptions {
  readonly model: LlamaModel;
  readonly adapter: LoraAdapter;
  readonly examples: readonly Example[];
  readonly tokenizer: PromptTokenizer & { readonly padId: number };
  /** Overrides of {@link DEFAULT_LORA_TRAIN_SETTINGS}. */
  readonly settings?: Partial<LoraTrainSettings>;
  readonly logger?: Logger;
  readonly onProgress?: (progress: TrainProgress) => void;
  /**
   * Threads computing gradients (data-parallel, the main thread included; default 1), or a pool
   * started earlier with GradientWorkerPool.start for this model and adapter, to reuse across rounds.
   */
  readonly workers?: number | GradientWorkerPool;
  /**
   * Record-level DP (DP-SGD): lots are Poisson-sampled at rate batchSize / examples.length (all rows
   * given, as the ledger counts them), per-example gradients clipped and noised. Runs on one thread.
   */
  readonly dpSgd?: DpSgdSettings;
  /** Keeps AdamW's moment estimates across calls on this adapter, e.g. a site's across rounds. */
  readonly optimizerSlot?: OptimizerSlot;
}

export interface TrainResult extends TrainModelResult {
  /** Examples trained on (after tokenization). */
  readonly examples: number;
  /** Rows left out at tokenization, by file:line (no target within seq-len, out-of-vocabulary ids). */
  readonly dropped: InvalidRow[];
  /** With DP-SGD: what to charge to the privacy ledger. */
  readonly privacy?: GaussianSteps;
}

/**
 * Each row array's tokenization, with the tokenizer and seq-len it was made with: a site trains on the
 * same rows every round, and tokenizing thousands of them costs about 0.25 ms a row each time. The weak
 * key frees an entry with its rows.
 */
const tokenizedRows = new WeakMap<
  readonly Example[],
  { readonly tokenizer: PromptTokenizer; readonly seqLen: number; readonly dataset: TokenizedDataset }
>();

function tokenizedOnce(
  examples: readonly Example[],
  tokenizer: PromptTokenizer,
  seqLen: number,
): TokenizedDataset {
  const cached = tokenizedRows.get(examples);
  if (cached?.tokenizer === tokenizer && cached.seqLen === seqLen) return cached.dataset;
  const dataset = tokenizeExamples(examples, tokenizer, seqLen);
  tokenizedRows.set(examples, { tokenizer, seqLen, dataset });
  return dataset;
}

/** Trains the adapter in place and reports the run; the base model stays frozen. */
export async function trainLora(options: TrainLoraOptions): Promise<TrainResult> {
  const settings = parseTrainSettings(loraTrainSettingsSchema, {
    ...DEFAULT_LORA_TRAIN_SETTINGS,
    ...options.settings,
  });
  const { model, adapter, tokenizer, logger } = options;
  const { examples, dropped } = tokenizedOnce(options.examples, tokenizer, settings.seqLen);
  for (const row of dropped.slice(0, 5)) logger?.warn({ file: row.file, line: row.line }, row.reason);
  if (dropped.length > 5) logger?.warn(`${dropped.length - 5} more rows left out at tokenization`);
  if (examples.length === 0) throw new RangeError("trainLora: no example has a target token to train on");
  if (options.dpSgd && options.workers !== undefined && options.workers !== 1) {
    throw new TrainSettingsError("DP-SGD runs on one thread: leave workers at 1");
  }
  const ownPool =
    typeof options.workers === "number" && options.workers > 1
      ? await GradientWorkerPool.start({ model, adapter, threads: options.workers, seed: settings.seed })
      : undefined;
  const pool = options.workers instanceof GradientWorkerPool ? options.workers : ownPool;
  logger?.info(
    { examples: examples.length, trainable: adapter.flatLength, threads: pool?.threads ?? 1 },
    "LoRA training started",
  );
  try {
    const result = await trainLanguageModel({
      model,
      lora: adapter,
      variables: adapter.trainableVariables(),
      examples,
      padId: tokenizer.padId,
      settings,
      ...(pool ? { gradientFn: pool.gradientFn } : {}),
      ...(options.dpSgd ? { dpSgd: { ...options.dpSgd, populationSize: options.examples.length } } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.optimizerSlot ? { optimizerSlot: options.optimizerSlot } : {}),
    });
    logger?.info(
      {
        steps: result.steps,
        tokens: result.tokens,
        meanLoss: result.meanLoss,
        lastLoss: result.lossHistory.at(-1),
      },
      "LoRA training finished",
    );
    return { ...result, examples: examples.length, dropped };
  } finally {
    await ownPool?.close();
  }
}
