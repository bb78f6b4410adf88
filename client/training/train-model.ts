// The generic training loop: AdamW, warm-up + decay, global-norm clipping, gradient accumulation, FedProx.
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { AdamW, type AdamWState } from "./adamw.ts";
import { addProximalGradient, clipByGlobalNorm, type ProximalTerm } from "./gradients.ts";
import { learningRateAt, lrScheduleSettingsSchema } from "./schedule.ts";

export const trainSettingsSchema = lrScheduleSettingsSchema.extend({
  beta1: z.number().min(0).lt(1),
  beta2: z.number().min(0).lt(1),
  epsilon: z.number().positive(),
  weightDecay: z.number().nonnegative(),
  /** Maximum global gradient norm; null disables clipping. */
  clipNorm: z.number().positive().nullable(),
  /** Micro-batches whose gradients are averaged into one optimizer step. */
  gradAccumSteps: z.number().int().positive(),
});
/** Optimizer and schedule settings; `totalSteps` counts optimizer steps, not micro-batches. */
export type TrainSettings = z.infer<typeof trainSettingsSchema>;

/** Training settings out of range (a negative learning rate, a zero batch size, …). */
export class TrainSettingsError extends Error {
  override readonly name = "TrainSettingsError";
}

/** Parses settings with `schema`, naming each bad field in one readable error. */
export function parseTrainSettings<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  throw new TrainSettingsError(`invalid training settings: ${problems.join("; ")}`);
}

export const DEFAULT_TRAIN_SETTINGS: Omit<TrainSettings, "totalSteps"> = {
  learningRate: 2e-4,
  warmupSteps: 0,
  schedule: "cosine",
  minLearningRateRatio: 0,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0.01,
  clipNorm: 1,
  gradAccumSteps: 1,
};

/** The gradient of one micro-batch's mean loss, in the order of `variables`; the loop disposes `grads`. */
export interface MicroBatchGradients {
  readonly loss: number;
  readonly tokens: number;
  readonly grads: tf.Tensor[];
}

export interface TrainProgress {
  readonly step: number;
  readonly totalSteps: number;
  /** Mean data loss of this step's micro-batches (without the proximal term). */
  readonly loss: number;
  readonly learningRate: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Tokens processed so far. */
  readonly tokens: number;
  readonly tokensPerSecond: number;
  readonly elapsedMs: number;
}

export interface TrainModelResult {
  readonly steps: number;
  readonly tokens: number;
  /** Mean of the finite entries of `lossHistory` (an empty DP-SGD lot has no loss). */
  readonly meanLoss: number;
  /** One data loss per optimizer step. */
  readonly lossHistory: number[];
}

interface TrainModelCommon<B> {
  readonly variables: readonly tf.Variable[];
  /** Micro-batches; training stops after `settings.totalSteps` steps or when they run out. */
  readonly batches: Iterable<B> | AsyncIterable<B>;
  readonly settings: TrainSettings;
  /** FedProx: adds μ/2·‖w − anchor‖² to the objective. */
  readonly proximal?: ProximalTerm;
  readonly onProgress?: (progress: TrainProgress) => void;
  /** Keeps the optimizer (its moment estimates) across calls, e.g. a site's across rounds. */
  readonly optimizerSlot?: OptimizerSlot;
}

/**
 * Holds an AdamW between training calls over the same variables: filled by the first call, reused by
 * later ones, disposed by the owner. A fresh Adam's first steps are sign steps of the full learning
 * rate (m̂/√v̂ = ±1), which with small noisy batches and a few local steps per round is mostly noise.
 */
export class OptimizerSlot {
  optimizer: AdamW | undefined;

  /** @param initial where the first call's AdamW starts (a trainer re-created between rounds), else at zero */
  constructor(readonly initial?: AdamWState) {}

  dispose(): void {
    this.optimizer?.dispose();
    this.optimizer = undefined;
  }
}

export type TrainModelOptions<B> = TrainModelCommon<B> &
  (
    | {
        /** Mean loss of one micro-batch; called inside a gradient tape, so it must be pure tf ops. */
        readonly lossFn: (batch: B) => tf.Scalar;
        /** Tokens a micro-batch processes, for tokens/s (default 0). */
        readonly tokensOf?: (batch: B) => number;
      }
    | {
        /** Computes gradients elsewhere, e.g. across data-parallel workers. */
        readonly gradientFn: (batch: B) => Promise<MicroBatchGradients>;
      }
  );

function localGradients<B>(
  variables: readonly tf.Variable[],
  lossFn: (batch: B) => tf.Scalar,
  tokensOf: ((batch: B) => number) | undefined,
  batch: B,
): MicroBatchGradients {
  const { value, grads } = tf.variableGrads(() => lossFn(batch), [...variables]);
  const loss = value.dataSync()[0]!;
  value.dispose();
  return { loss, tokens: tokensOf?.(batch) ?? 0, grads: variables.map((w) => grads[w.name]!) };
}

/** Sums two gradient lists, disposing both. */
function accumulate(sum: tf.Tensor[], grads: tf.Tensor[]): tf.Tensor[] {
  const out = tf.tidy(() => sum.map((s, i) => s.add(grads[i]!)));
  tf.dispose([...sum, ...grads]);
  return out;
}

/** Averages `count` summed micro-batch gradients, adds the proximal gradient and clips; disposes `sum`. */
function finishGradients(
  sum: tf.Tensor[],
  count: number,
  variables: readonly tf.Variable[],
  proximal: ProximalTerm | undefined,
  clipNorm: number | null,
): { grads: tf.Tensor[]; norm: number } {
  const averaged = tf.tidy(() => sum.map((s) => s.div(count)));
  tf.dispose(sum);
  const withProx = proximal ? addProximalGradient(averaged, variables, proximal) : averaged;
  if (withProx !== averaged) tf.dispose(averaged);
  // Clipping to +∞ still measures the norm, which the progress line reports.
  const clipped = clipByGlobalNorm(withProx, clipNorm ?? Number.POSITIVE_INFINITY);
  tf.dispose(withProx);
  return clipped;
}

/**
 * Trains `variables` to lower the loss. Each optimizer step averages the gradients of
 * `gradAccumSteps` micro-batches, adds the proximal gradient, clips to `clipNorm`, then takes an
 * AdamW step at the scheduled learning rate. Leaves no tensors behind.
 */
export async function trainModel<B>(options: TrainModelOptions<B>): Promise<TrainModelResult> {
  const settings = parseTrainSettings(trainSettingsSchema, options.settings);
  const { variables, proximal, onProgress } = options;
  const gradientsOf =
    "gradientFn" in options
      ? options.gradientFn
      : (batch: B) => Promise.resolve(localGradients(variables, options.lossFn, options.tokensOf, batch));
  const slot = options.optimizerSlot;
  const optimizer = slot?.optimizer ?? new AdamW(variables, settings, slot?.initial);
  if (slot !== undefined) slot.optimizer = optimizer;
  const lossHistory: number[] = [];
  let tokens = 0;
  const started = performance.now();
  const iterator =
    Symbol.asyncIterator in options.batches
      ? options.batches[Symbol.asyncIterator]()
      : options.batches[Symbol.iterator]();
  let pending: tf.Tensor[] = [];
  try {
    let exhausted = false;
    while (lossHistory.length < settings.totalSteps && !exhausted) {
      let lossSum = 0;
      let micro = 0;
      for (; micro < settings.gradAccumSteps; micro++) {
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        const result = await gradientsOf(next.value);
        lossSum += result.loss;
        tokens += result.tokens;
        pending = micro === 0 ? result.grads : accumulate(pending, result.grads);
      }
      if (micro === 0) break;
      const update = finishGradients(pending, micro, variables, proximal, settings.clipNorm);
      pending = [];
      const step = lossHistory.length;
      const learningRate = learningRateAt(step, settings);
      optimizer.apply(update.grads, learningRate);
      tf.dispose(update.grads);
      const loss = lossSum / micro;
      lossHistory.push(loss);
      const elapsedMs = performance.now() - started;
      onProgress?.({
        step: step + 1,
        totalSteps: settings.totalSteps,
        loss,
        learningRate,
        gradNorm: update.norm,
        tokens,
        tokensPerSecond: elapsedMs > 0 ? (tokens * 1000) / elapsedMs : 0,
        elapsedMs,
      });
    }
  } finally {
    tf.dispose(pending);
    if (slot === undefined) optimizer.dispose();
    await iterator.return?.();
  }
  const finite = lossHistory.filter(Number.isFinite);
  const meanLoss = finite.length > 0 ? finite.reduce((a, b) => a + b, 0) / finite.length : Number.NaN;
  return { steps: lossHistory.length, tokens, meanLoss, lossHistory };
}
