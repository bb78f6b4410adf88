// What a site client needs from local training: the LocalTrainer port, and a synthetic one for protocol runs.
import type { Rng } from "../../crypto/rng.ts";
import type { LoraSettings, TrainingSettings } from "../../proto/messages.ts";
import { batchesPerEpoch } from "../training/batches.ts";

export interface LocalUpdate {
  /** Δ: trained trainable weights minus the global ones, flat (PEFT key order). */
  readonly delta: Float32Array;
  /** Training examples behind Δ (n_k). */
  readonly numExamples: number;
  readonly trainLoss: number;
}

export interface LocalEvaluation {
  readonly numExamples: number;
  /** Aggregate metrics only (loss, accuracy, …), never per-example results. */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * Optimizer steps a round of local training runs: the task's `localSteps`, or one epoch over the
 * site's own examples when it gives none. The ledger charges exactly these (issue 18 §3).
 */
export function localStepsOf(training: TrainingSettings, trainExamples: number): number {
  const steps =
    training.localSteps > 0 ? training.localSteps : batchesPerEpoch(trainExamples, training.batchSize);
  return Math.max(1, steps);
}

/** Record-level DP (DP-SGD) settings a round asks the trainer to apply. */
export interface RecordDp {
  readonly clipNorm: number;
  readonly noiseMultiplier: number;
}

/**
 * A trainer that could not produce a result fedtune can trust (it crashed, timed out, wrote an adapter
 * of the wrong keys, shapes or rank, or applied other DP settings than asked): the site declines the
 * task with this message, and nothing is uploaded.
 */
export class TrainerFailure extends Error {
  override readonly name = "TrainerFailure";
  /**
   * @param summary what went wrong, fit to send in the decline (no trainer output: it may quote records)
   * @param output the trainer's last stderr lines, for the site's own log only
   */
  constructor(
    readonly summary: string,
    readonly output?: string,
  ) {
    super(output === undefined ? summary : `${summary}: ${output}`);
  }
}

/** Local training and evaluation over the site's own records; nothing here leaves the site. */
export interface LocalTrainer {
  /** Trainable adapter parameters (must equal the federation's vector length). */
  readonly vectorLength: number;
  /** The version-0 global adapter every site derives from the shared LoRA seed. */
  initialGlobal(): Float32Array;
  /** Examples a training round samples from (for the record-level DP sampling rate). */
  readonly trainExamples: number;
  train(input: {
    readonly global: Float32Array;
    readonly settings: TrainingSettings;
    readonly recordDp: RecordDp | undefined;
    readonly signal: AbortSignal;
  }): Promise<LocalUpdate>;
  evaluate(input: { readonly global: Float32Array; readonly signal: AbortSignal }): Promise<LocalEvaluation>;
  dispose(): void;
}

/** Builds the trainer once the federation's LoRA settings are known (from Join). */
export type TrainerFactory = (lora: LoraSettings, vectorLength: number) => Promise<LocalTrainer>;

/**
 * A trainer whose "training" draws Δ uniformly in ±scale from a seeded Rng: the aggregation-only
 * rounds of bench/federation-round.ts and the protocol tests (the real protocol, no model).
 */
export function syntheticTrainer(options: {
  readonly vectorLength: number;
  readonly numExamples: number;
  readonly rng: Rng;
  readonly scale?: number;
  /** Called with every Δ produced, so a test can compare the aggregate with the plain sum. */
  readonly onUpdate?: (update: LocalUpdate) => void;
  /** Called with the global adapter each evaluation starts from. */
  readonly onEvaluate?: (global: Float32Array) => void;
}): LocalTrainer {
  const scale = options.scale ?? 0.01;
  return {
    vectorLength: options.vectorLength,
    trainExamples: options.numExamples,
    initialGlobal: () => new Float32Array(options.vectorLength),
    train: () => {
      const delta = new Float32Array(options.vectorLength);
      for (let i = 0; i < delta.length; i++) delta[i] = (options.rng.nextFloat64() * 2 - 1) * scale;
      const update = { delta, numExamples: options.numExamples, trainLoss: 1 };
      options.onUpdate?.(update);
      return Promise.resolve(update);
    },
    evaluate: ({ global }) => {
      options.onEvaluate?.(global);
      return Promise.resolve({ numExamples: options.numExamples, metrics: { loss: 1, accuracy: 0.5 } });
    },
    dispose: () => undefined,
  };
}
