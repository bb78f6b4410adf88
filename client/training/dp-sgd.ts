// DP-SGD (Abadi et al., CCS 2016, Alg. 1): Poisson-sampled lots, per-example L2 clipping, Gaussian noise on the sum.
import * as tf from "@tensorflow/tfjs";
import { clipL2 } from "../../crypto/dp/clip.ts";
import { addGaussianNoise } from "../../crypto/dp/gaussian.ts";
import type { Rng } from "../../crypto/rng.ts";
import type { LlamaModel, LoraHook } from "../../model/llama.ts";
import type { LoraAdapter } from "../../model/lora.ts";
import type { TokenizedExample } from "../data/prompt-format.ts";
import { padBatch, splitBatch, type PaddedBatch } from "./batches.ts";
import { readFlat, tensorsFromFlat } from "./flat-values.ts";
import { batchLoss, batchTensors, targetLogProbs } from "./loss.ts";
import type { MicroBatchGradients } from "./train-model.ts";

export interface DpSgdSettings {
  /** C: each example's gradient is clipped to L2 norm ≤ C. */
  readonly clipNorm: number;
  /** σ: the noise added to the lot's summed gradient has standard deviation σ·C per coordinate. */
  readonly noiseMultiplier: number;
  /** Draws the Poisson samples and the noise: a CSPRNG (cryptoRng) in production. */
  readonly rng: Rng;
}

/**
 * Lots for the Poisson-subsampled Gaussian mechanism that the RDP accountant assumes (Mironov, Talwar &
 * Zhang 2019): each of `count` lots holds every example independently with probability `samplingRate`,
 * so a lot may be empty and its size varies.
 */
export function* poissonLots(
  examples: readonly TokenizedExample[],
  samplingRate: number,
  count: number,
  padId: number,
  rng: Rng,
): Generator<PaddedBatch> {
  for (let lot = 0; lot < count; lot++) {
    yield padLot(
      examples.filter(() => rng.nextFloat64() < samplingRate),
      padId,
    );
  }
}

/**
 * A lot padded with its rows in length order: the clipped sum does not depend on the order, and
 * chunks of neighbouring lengths each trim to a shorter longest row (see PER_EXAMPLE_CHUNK).
 */
export function padLot(examples: readonly TokenizedExample[], padId: number): PaddedBatch {
  return padBatch(
    [...examples].sort((a, b) => a.ids.length - b.ids.length),
    padId,
  );
}

/** Σᵢ clip_C(gᵢ) + N(0, σ²C²·I), over the expected lot size (Abadi et al. 2016, Alg. 1, lines 5–7). */
function privatise(
  clippedSum: Float64Array | Float32Array,
  settings: DpSgdSettings,
  expectedLotSize: number,
): Float32Array {
  const noisy = addGaussianNoise(
    Float32Array.from(clippedSum),
    settings.noiseMultiplier * settings.clipNorm,
    settings.rng,
  );
  for (let i = 0; i < noisy.length; i++) noisy[i]! /= expectedLotSize;
  return noisy;
}

/** Σᵢ clip_C(∇ℓᵢ) over a lot and Σᵢ ℓᵢ. */
interface ClippedSum {
  readonly clippedSum: Float32Array | Float64Array;
  readonly lossSum: number;
}

/** How a lot's clipped sum is computed; undefined when `lora` cannot run that way. */
type ClippedSumOf<L, R = ClippedSum | undefined> = (
  model: LlamaModel,
  lora: L,
  variables: readonly tf.Variable[],
  lot: PaddedBatch,
  clipNorm: number,
) => R;

/** The clipping factor of crypto/dp/clip.ts (clipL2), for a norm computed elsewhere. */
function clipFactor(norm: number, clipNorm: number): number {
  return norm > clipNorm ? (clipNorm / norm) * (1 - 2 ** -20) : 1;
}

/**
 * Every example's gradient at once, for an FFA-LoRA adapter: the Bᵀs are tiled to per-example copies
 * [n, r, out] and the summed per-example losses differentiated with respect to them (the per-example
 * gradient trick of Goodfellow 2015 and Opacus, here exact because only B trains). One forward and one
 * backward pass per lot instead of one per example. Returns the clipped sum and the summed loss.
 */
const clippedSumVectorized: ClippedSumOf<PerExampleLora> = (model, lora, variables, lot, clipNorm) => {
  const n = lot.batchSize;
  const perExample = variables.map((v) =>
    tf.tidy(() => tf.tile(tf.expandDims(v, 0), [n, 1, 1]) as tf.Tensor3D),
  );
  try {
    const hook = lora.perExampleHook(perExample);
    if (hook === undefined) return undefined;
    const { inputIds, targets, mask } = batchTensors(lot);
    const perRowScored = tf.tidy(() => tf.maximum(tf.sum(mask, 1), 1));
    const lossOf = (): tf.Scalar =>
      tf.tidy(() => {
        const logits = model.forward(inputIds, hook, { training: true });
        const rowNll = tf.neg(tf.sum(tf.mul(targetLogProbs(logits, targets), mask), 1));
        return tf.sum<tf.Scalar>(tf.div(rowNll, perRowScored));
      });
    const { value, grads } = tf.valueAndGrads(lossOf)(perExample);
    const clipped = tf.tidy(() => {
      const squares = grads.map((g) => tf.sum(tf.square(g), [1, 2]));
      const norms = tf.sqrt(tf.addN(squares)).dataSync();
      const factors = tf.tensor3d(
        Array.from(norms, (norm) => clipFactor(norm, clipNorm)),
        [n, 1, 1],
      );
      return grads.map((g) => tf.sum(tf.mul(g, factors), 0));
    });
    const lossSum = value.dataSync()[0]!;
    const clippedSum = readFlat(clipped);
    tf.dispose([value, ...grads, ...clipped, inputIds, targets, mask, perRowScored]);
    return { clippedSum, lossSum };
  } finally {
    tf.dispose(perExample);
  }
};

/**
 * Examples per single pass: each chunk of a lot (rows in length order, padLot) is trimmed to its own
 * longest row, so small chunks waste little on padding, and a lot of hundreds never holds every layer's
 * activations at once (tfjs-wasm's heap stops at 4 GiB). bench/dp-sgd-per-example.ts, lots of 16 and 64:
 * 83 ms an example in chunks of 4, against 87 in chunks of 2, 110–119 in unsorted chunks of 16.
 */
export const PER_EXAMPLE_CHUNK = 4;

const clippedSumInChunks: ClippedSumOf<PerExampleLora> = (model, lora, variables, lot, clipNorm) => {
  const clippedSum = new Float64Array(variables.reduce((n, v) => n + v.size, 0));
  let lossSum = 0;
  for (const chunk of splitBatch(lot, Math.ceil(lot.batchSize / PER_EXAMPLE_CHUNK))) {
    const part = clippedSumVectorized(model, lora, variables, trimPadding(chunk), clipNorm);
    if (part === undefined) return undefined;
    lossSum += part.lossSum;
    for (let i = 0; i < clippedSum.length; i++) clippedSum[i]! += part.clippedSum[i]!;
  }
  return { clippedSum, lossSum };
};

/** A batch cut to its longest row: right padding past it costs compute and changes nothing. */
function trimPadding(batch: PaddedBatch): PaddedBatch {
  const length = Math.max(1, ...batch.rowTokens);
  if (length >= batch.length) return batch;
  const rows = (values: Int32Array | Float32Array): number[] =>
    Array.from({ length: batch.batchSize }, (_, b) =>
      Array.from(values.subarray(b * batch.length, b * batch.length + length)),
    ).flat();
  return {
    ...batch,
    length,
    inputIds: Int32Array.from(rows(batch.inputIds)),
    targets: Int32Array.from(rows(batch.targets)),
    mask: Float32Array.from(rows(batch.mask)),
  };
}

/** The same sum one example at a time, each at its own length: for adapters without per-example hooks. */
const clippedSumLoop: ClippedSumOf<LoraHook | undefined, ClippedSum> = (
  model,
  lora,
  variables,
  lot,
  clipNorm,
) => {
  const clippedSum = new Float64Array(variables.reduce((n, v) => n + v.size, 0));
  let lossSum = 0;
  for (const row of splitBatch(lot, lot.batchSize)) {
    const example = trimPadding(row);
    const { value, grads } = tf.variableGrads(
      () => batchLoss(model, lora, example, example.scoredTokens),
      [...variables],
    );
    lossSum += value.dataSync()[0]!;
    const ordered = variables.map((v) => grads[v.name]!);
    const { clipped } = clipL2(readFlat(ordered), clipNorm);
    tf.dispose([value, ...ordered]);
    for (let i = 0; i < clippedSum.length; i++) clippedSum[i]! += clipped[i]!;
  }
  return { clippedSum, lossSum };
};

/** A LoRA hook that can also run with per-example Bᵀs (model/lora.ts, ffa mode). */
export type PerExampleLora = LoraHook & Pick<LoraAdapter, "perExampleHook">;

function hasPerExampleHook(lora: LoraHook | undefined): lora is PerExampleLora {
  return lora !== undefined && "perExampleHook" in lora;
}

/**
 * The privatised gradient of a lot: Σ clip_C(∇ℓ_i) + N(0, σ²C²·I), divided by the expected lot size
 * (Abadi et al. 2016, Alg. 1, lines 5–7; as Opacus normalises Poisson lots). ℓ_i is example i's mean
 * token NLL, so each example's influence is bounded by C however long it is. FFA-LoRA adapters give
 * every example's gradient from one pass over the lot; otherwise examples go one at a time.
 */
export function dpSgdGradientFn(
  model: LlamaModel,
  lora: LoraHook | undefined,
  variables: readonly tf.Variable[],
  settings: DpSgdSettings,
  expectedLotSize: number,
): (lot: PaddedBatch) => Promise<MicroBatchGradients> {
  return (lot) => {
    const sum =
      (lot.batchSize > 0 && hasPerExampleHook(lora)
        ? clippedSumInChunks(model, lora, variables, lot, settings.clipNorm)
        : undefined) ?? clippedSumLoop(model, lora, variables, lot, settings.clipNorm);
    return Promise.resolve({
      // The lot's mean example loss: a statistic of private data, for local progress only.
      loss: lot.batchSize > 0 ? sum.lossSum / lot.batchSize : Number.NaN,
      tokens: lot.tokens,
      grads: tensorsFromFlat(privatise(sum.clippedSum, settings, expectedLotSize), variables),
    });
  };
}
