// The LocalTrainer over the engine: LoRA training (trainLora, FedProx term) and evaluation on the site's own rows.
import { cryptoRng } from "../../crypto/rng.ts";
import type { Logger } from "pino";
import type { LlamaModel } from "../../model/llama.ts";
import { createLoraAdapter, type LoraAdapter } from "../../model/lora.ts";
import { tokenizeExamples, type PromptTokenizer } from "../data/prompt-format.ts";
import type { Example, MultipleChoiceRow } from "../data/rows.ts";
import type { CausalLm } from "../eval/causal-lm.ts";
import { evaluateMultipleChoice } from "../eval/multiple-choice.ts";
import { evaluatePerplexity } from "../eval/perplexity.ts";
import { OptimizerSlot } from "../training/train-model.ts";
import { DEFAULT_LORA_TRAIN_SETTINGS, trainLora } from "../training/train-lora.ts";
import type { OptimizerStore } from "./optimizer-file.ts";
import { localStepsOf, type LocalTrainer, type LocalUpdate, type TrainerFactory } from "./trainer.ts";

export interface EngineTrainerOptions {
  readonly model: LlamaModel;
  readonly tokenizer: PromptTokenizer & { readonly padId: number };
  /** The site's training rows; they never leave this process. */
  readonly train: readonly Example[];
  /** Rows to evaluate on (multiple-choice rows give accuracy, the others loss). */
  readonly validation: readonly Example[];
  readonly logger: Logger;
  /** Gradient threads (data-parallel), default 1. */
  readonly workers?: number;
  readonly evalBatchSize?: number;
  /** Mixed into every round's training seed so that sites sharing a federation seed shuffle differently. */
  readonly seedSalt?: number;
  /** Runs before each training round (the simulation delays slow sites here). */
  readonly beforeTrain?: () => Promise<void>;
  /**
   * Where the AdamW moments wait between rounds for a trainer built for each round
   * (SiteClientOptions.trainerPerRound): loaded when the trainer is built, saved after each training round.
   * Absent: they stay in this trainer's memory for its lifetime.
   */
  readonly optimizerStore?: OptimizerStore;
  /** Replaces the default scoring of `validation` (the simulation scores its own question sets). */
  readonly evaluate?: (lm: CausalLm, global: Float32Array) => LocalEvaluationFigures;
}

export interface LocalEvaluationFigures {
  readonly numExamples: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Δ = trained − global, element-wise. */
function difference(trained: Float32Array, global: Float32Array): Float32Array {
  const delta = new Float32Array(trained.length);
  for (let i = 0; i < delta.length; i++) delta[i] = (trained[i] ?? 0) - (global[i] ?? 0);
  return delta;
}

/** One round of local LoRA training from the global adapter (FedProx term, DP-SGD when asked): Δ and its weight. */
async function trainRound(
  options: EngineTrainerOptions,
  adapter: LoraAdapter,
  optimizerSlot: OptimizerSlot,
  { global, settings, recordDp }: Parameters<LocalTrainer["train"]>[0],
): Promise<LocalUpdate> {
  await options.beforeTrain?.();
  adapter.assign(global);
  const result = await trainLora({
    model: options.model,
    adapter,
    examples: options.train,
    tokenizer: options.tokenizer,
    settings: {
      learningRate: settings.learningRate,
      batchSize: settings.batchSize,
      seqLen: settings.maxSeqLen,
      proximalMu: settings.fedproxMu,
      seed: (settings.seed ^ (options.seedSalt ?? 0)) >>> 0,
      // A constant rate: a warm-up and decay would restart inside every round.
      schedule: "constant",
      warmupSteps: 0,
      // The steps the site's ledger charged (one epoch when the task gives no step count).
      steps: localStepsOf(settings, options.train.length),
    },
    logger: options.logger,
    optimizerSlot,
    // DP-SGD clips per example in one thread; data-parallel workers only serve non-private rounds.
    ...(recordDp === undefined
      ? options.workers === undefined
        ? {}
        : { workers: options.workers }
      : { dpSgd: { ...recordDp, rng: cryptoRng() } }),
  });
  return {
    delta: difference(adapter.flatten(), global),
    numExamples: result.examples,
    trainLoss: result.meanLoss,
  };
}

export function engineTrainerFactory(options: EngineTrainerOptions): TrainerFactory {
  return (lora, vectorLength) => {
    const { model, tokenizer, train, validation } = options;
    const adapter = createLoraAdapter(model, { ...lora, targetModules: [...lora.targetModules] });
    if (adapter.flatLength !== vectorLength) {
      adapter.dispose();
      return Promise.reject(
        new RangeError(
          `local adapter has ${adapter.flatLength} trainable values, the federation ${vectorLength}`,
        ),
      );
    }
    // PEFT's initialisation from the shared seed: identical at every site and at the coordinator.
    const initial = adapter.flatten();
    const evalBatchSize = options.evalBatchSize ?? 8;
    // The site's AdamW moments carry over from round to round (they never leave the site).
    const optimizerSlot = new OptimizerSlot(options.optimizerStore?.load());
    // Evaluation tokenizes at the length the last round trained with.
    let seqLen = DEFAULT_LORA_TRAIN_SETTINGS.seqLen;
    // Validation rows never change: split them once, not every evaluation round.
    const choices = validation.filter((row): row is Example & MultipleChoiceRow => row.kind === "mcq");
    const texts = validation.filter((row) => row.kind !== "mcq");
    const trainer: LocalTrainer = {
      vectorLength: adapter.flatLength,
      trainExamples: train.length,
      initialGlobal: () => Float32Array.from(initial),
      train: async (input) => {
        seqLen = input.settings.maxSeqLen;
        const update = await trainRound(options, adapter, optimizerSlot, input);
        if (optimizerSlot.optimizer !== undefined)
          options.optimizerStore?.save(optimizerSlot.optimizer.state());
        return update;
      },
      evaluate({ global }) {
        adapter.assign(global);
        const lm = { model, adapter };
        if (options.evaluate) return Promise.resolve(options.evaluate(lm, global));
        const metrics: Record<string, number> = {};
        if (choices.length > 0) {
          metrics["accuracy"] = evaluateMultipleChoice(lm, choices, tokenizer, {
            batchSize: evalBatchSize,
            seqLen,
          }).accuracy;
        }
        if (texts.length > 0) {
          const { examples } = tokenizeExamples(texts, tokenizer, seqLen);
          if (examples.length > 0) {
            metrics["loss"] = evaluatePerplexity(lm, examples, {
              batchSize: evalBatchSize,
              padId: tokenizer.padId,
            }).meanNll;
          }
        }
        // Only finite values travel (an empty or degenerate set yields NaN).
        const finite = Object.fromEntries(
          Object.entries(metrics).filter(([, value]) => Number.isFinite(value)),
        );
        return Promise.resolve({ numExamples: validation.length, metrics: finite });
      },
      dispose: () => {
        optimizerSlot.dispose();
        adapter.dispose();
      },
    };
    return Promise.resolve(trainer);
  };
}
