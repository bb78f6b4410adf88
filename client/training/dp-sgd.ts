// DP-SGD (Abadi et al., CCS 2016, Alg. 1): Poisson-sampled lots, per-example L2 clipping, Gaussian noise on the sum.
import * as tf from "@tensorflow/tfjs";
import { clipL2 } from "../../crypto/dp/clip.ts";
import { addGaussianNoise } from "../../crypto/dp/gaussian.ts";
import type { Rng } from "../../crypto/rng.ts";
import type { LlamaModel, LoraHook } from "../../model/llama.ts";
import type { TokenizedExample } from "../data/prompt-format.ts";
import { padBatch, splitBatch, type PaddedBatch } from "./batches.ts";
import { readFlat, tensorsFromFlat } from "./flat-values.ts";
import { batchLoss } from "./loss.ts";
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
    yield padBatch(
      examples.filter(() => rng.nextFloat64() < samplingRate),
      padId,
    );
  }
}

/**
 * The privatised gradient of a lot: Σ clip_C(∇ℓ_i) + N(0, σ²C²·I), divided by the expected lot size
 * (Abadi et al. 2016, Alg. 1, lines 5–7; as Opacus normalises Poisson lots). ℓ_i is example i's mean
 * token NLL, so each example's influence is bounded by C however long it is. Gradients are computed one
 * example at a time, which is what per-example clipping needs.
 */
export function dpSgdGradientFn(
  model: LlamaModel,
  lora: LoraHook | undefined,
  variables: readonly tf.Variable[],
  settings: DpSgdSettings,
  expectedLotSize: number,
): (lot: PaddedBatch) => Promise<MicroBatchGradients> {
  return (lot) => {
    const sum = new Float64Array(variables.reduce((n, v) => n + v.size, 0));
    let lossSum = 0;
    for (const example of splitBatch(lot, lot.batchSize)) {
      const { value, grads } = tf.variableGrads(
        () => batchLoss(model, lora, example, example.scoredTokens),
        [...variables],
      );
      lossSum += value.dataSync()[0]!;
      const ordered = variables.map((v) => grads[v.name]!);
      const { clipped } = clipL2(readFlat(ordered), settings.clipNorm);
      tf.dispose([value, ...ordered]);
      for (let i = 0; i < sum.length; i++) sum[i]! += clipped[i]!;
    }
    const noisy = addGaussianNoise(
      Float32Array.from(sum),
      settings.noiseMultiplier * settings.clipNorm,
      settings.rng,
    );
    for (let i = 0; i < noisy.length; i++) noisy[i]! /= expectedLotSize;
    return Promise.resolve({
      // The lot's mean example loss: a statistic of private data, for local progress only.
      loss: lot.batchSize > 0 ? lossSum / lot.batchSize : Number.NaN,
      tokens: lot.tokens,
      grads: tensorsFromFlat(noisy, variables),
    });
  };
}
