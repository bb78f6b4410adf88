// A site's LocalTrainer over the engine: LoRA fine-tuning with trainLora and multiple-choice evaluation on its own validation set.
import { setTimeout as delay } from "node:timers/promises";
import type { Example } from "../client/data/rows.ts";
import { cryptoRng } from "../crypto/rng.ts";
import type { LocalTrainer, TrainerFactory } from "../client/node/trainer.ts";
import { trainLora } from "../client/training/train-lora.ts";
import type { LoadedModel } from "../model/load.ts";
import { createLoraAdapter } from "../model/lora.ts";
import type { LoraSettings } from "../proto/messages.ts";
import { evaluateSet } from "./evaluate.ts";
import type { EvalSet } from "./evaluate.ts";

export interface SiteTrainerOptions {
  readonly base: LoadedModel;
  readonly train: readonly Example[];
  readonly validation: EvalSet;
  /** Mixed into every round's seed so that sites shuffle differently. */
  readonly siteSalt: number;
  /** Fault injection: extra time each training round takes (a slow site). */
  readonly slowMs: number;
  /** Called with the global adapter an evaluation round scores, before scoring it. */
  readonly onEvaluateGlobal?: (global: Float32Array) => void;
}

/**
 * The factory the site client calls at Join with the federation's LoRA settings. Sites in one
 * process share the frozen base model; each gets its own adapter.
 */
export function siteTrainerFactory(options: SiteTrainerOptions): TrainerFactory {
  return (lora: LoraSettings, vectorLength: number): Promise<LocalTrainer> => {
    const adapter = createLoraAdapter(options.base.model, {
      ...lora,
      targetModules: [...lora.targetModules],
    });
    if (adapter.flatLength !== vectorLength) {
      adapter.dispose();
      return Promise.reject(
        new RangeError(
          `local adapter has ${adapter.flatLength} trainable values, the federation ${vectorLength}`,
        ),
      );
    }
    const initial = adapter.flatten();
    const { base, train, validation } = options;
    const trainer: LocalTrainer = {
      vectorLength,
      trainExamples: train.length,
      initialGlobal: () => initial.slice(),
      async train({ global, settings, recordDp }) {
        if (options.slowMs > 0) await delay(options.slowMs);
        adapter.assign(global);
        const result = await trainLora({
          model: base.model,
          adapter,
          examples: train,
          tokenizer: base.tokenizer,
          settings: {
            steps: Math.max(1, settings.localSteps),
            batchSize: settings.batchSize,
            learningRate: settings.learningRate,
            seqLen: settings.maxSeqLen,
            proximalMu: settings.fedproxMu,
            seed: (settings.seed ^ options.siteSalt) >>> 0,
            // A constant rate: a cosine schedule would decay to zero inside every round.
            schedule: "constant",
            warmupSteps: 0,
          },
          ...(recordDp === undefined ? {} : { dpSgd: { ...recordDp, rng: cryptoRng() } }),
        });
        const trained = adapter.flatten();
        const deltaValues = new Float32Array(trained.length);
        for (let i = 0; i < trained.length; i++) deltaValues[i] = (trained[i] ?? 0) - (global[i] ?? 0);
        return { delta: deltaValues, numExamples: train.length, trainLoss: result.meanLoss };
      },
      evaluate({ global }) {
        options.onEvaluateGlobal?.(global);
        adapter.assign(global);
        const figures = evaluateSet({ model: base.model, adapter }, base.tokenizer, validation);
        return Promise.resolve({
          numExamples: validation.rows.length,
          metrics: { accuracy: figures.accuracy, loss: figures.loss },
        });
      },
      dispose: () => adapter.dispose(),
    };
    return Promise.resolve(trainer);
  };
}
