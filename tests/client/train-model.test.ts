// The generic training loop: AdamW against a hand-written float64 reference, schedules, clipping, accumulation, FedProx, leaks.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Logger } from "pino";
import { createProgressBar } from "../../client/training/progress.ts";
import { learningRateAt } from "../../client/training/schedule.ts";
import {
  DEFAULT_TRAIN_SETTINGS,
  OptimizerSlot,
  TrainSettingsError,
  trainModel,
  type TrainProgress,
  type TrainSettings,
} from "../../client/training/train-model.ts";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const settings = (over: Partial<TrainSettings>): TrainSettings => ({
  ...DEFAULT_TRAIN_SETTINGS,
  totalSteps: 3,
  schedule: "constant",
  clipNorm: null,
  ...over,
});

/** PyTorch AdamW for one scalar, in float64: decay, then the bias-corrected Adam step. */
function referenceAdamW(w0: number, grads: number[], lr: number, wd: number): number {
  let [w, m, v] = [w0, 0, 0];
  grads.forEach((g, i) => {
    const t = i + 1;
    w *= 1 - lr * wd;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    w -= (lr * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
  });
  return w;
}

describe("trainModel", () => {
  it("takes AdamW steps with decoupled weight decay exactly as the reference", async () => {
    const w = tf.variable(tf.scalar(0.5));
    // loss = c·w has gradient c, so each batch chooses the step's gradient.
    const grads = [0.3, -1.2, 2.0];
    const result = await trainModel({
      variables: [w],
      lossFn: (c: number) => w.mul<tf.Scalar>(c),
      batches: grads,
      settings: settings({ learningRate: 0.1, weightDecay: 0.2 }),
    });
    expect(result.steps).toBe(3);
    expect(w.dataSync()[0]).toBeCloseTo(referenceAdamW(0.5, grads, 0.1, 0.2), 6);
    w.dispose();
  });

  it("with an optimizer slot, continues AdamW across calls as one run would; without, starts afresh", async () => {
    const grads = [0.3, -1.2, 2.0, 0.7, -0.4, 1.1];
    const train = async (w: tf.Variable, batches: number[], slot?: OptimizerSlot) =>
      trainModel({
        variables: [w],
        lossFn: (c: number) => w.mul<tf.Scalar>(c),
        batches,
        settings: settings({ learningRate: 0.1, weightDecay: 0.2, totalSteps: batches.length }),
        ...(slot ? { optimizerSlot: slot } : {}),
      });
    const slot = new OptimizerSlot();
    const kept = tf.variable(tf.scalar(0.5));
    await train(kept, grads.slice(0, 3), slot);
    await train(kept, grads.slice(3), slot);
    expect(slot.optimizer?.steps).toBe(6);
    expect(kept.dataSync()[0]).toBeCloseTo(referenceAdamW(0.5, grads, 0.1, 0.2), 6);
    slot.dispose();

    const fresh = tf.variable(tf.scalar(0.5));
    await train(fresh, grads.slice(0, 3));
    await train(fresh, grads.slice(3));
    const restarted = referenceAdamW(
      referenceAdamW(0.5, grads.slice(0, 3), 0.1, 0.2),
      grads.slice(3),
      0.1,
      0.2,
    );
    expect(fresh.dataSync()[0]).toBeCloseTo(restarted, 6);
    expect(Math.abs(restarted - referenceAdamW(0.5, grads, 0.1, 0.2))).toBeGreaterThan(1e-3);
    tf.dispose([kept, fresh]);
  });

  it("averages accumulated micro-batches, adds the proximal gradient, clips the global norm", async () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const anchor = tf.tensor1d([0, 0]);
    const seen: number[] = [];
    // Micro-batch gradients (2,0) and (4,0) average to (3,0); μ(w−anchor) adds (0.5,1): norm √(12.25+1).
    await trainModel({
      variables: [w],
      lossFn: (c: number) => w.mul(tf.tensor1d([c, 0])).sum<tf.Scalar>(),
      batches: [2, 4],
      proximal: { mu: 0.5, anchor: [anchor] },
      settings: settings({ totalSteps: 1, gradAccumSteps: 2, clipNorm: 1, learningRate: 1, weightDecay: 0 }),
      onProgress: (p) => seen.push(p.gradNorm, p.loss),
    });
    expect(seen[0]).toBeCloseTo(Math.sqrt(3.5 ** 2 + 1), 5);
    expect(seen[1]).toBeCloseTo(3, 5); // mean of the micro-batch losses 2 and 4 (w₀ = 1)
    tf.dispose([w, anchor]);
  });

  it("lowers a loss, stops when batches run out, and leaves no tensors behind", async () => {
    const w = tf.variable(tf.tensor1d([3, -2]));
    const before = tf.memory().numTensors;
    const target = tf.tensor1d([1, 1]);
    const result = await trainModel({
      variables: [w],
      lossFn: () => w.sub(target).square().sum<tf.Scalar>(),
      batches: Array<number>(20).fill(0),
      settings: settings({
        totalSteps: 50,
        learningRate: 0.2,
        weightDecay: 0,
        schedule: "cosine",
        warmupSteps: 2,
      }),
    });
    target.dispose();
    expect(result.steps).toBe(20);
    expect(result.lossHistory.at(-1)!).toBeLessThan(result.lossHistory[0]! / 4);
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });

  it("rejects bad settings, naming the field, before touching the variables", async () => {
    const w = tf.variable(tf.scalar(2));
    const attempt = trainModel({
      variables: [w],
      lossFn: () => w.square(),
      batches: [0],
      settings: settings({ learningRate: -1, gradAccumSteps: 0 }),
    });
    await expect(attempt).rejects.toThrow(TrainSettingsError);
    await expect(attempt).rejects.toThrow(/learningRate: .*; gradAccumSteps: /);
    expect(w.dataSync()[0]).toBe(2);
    w.dispose();
  });
});

describe("learning-rate schedule", () => {
  const base = { learningRate: 1, warmupSteps: 4, totalSteps: 14, minLearningRateRatio: 0 };
  it("warms up linearly, then decays by cosine or linearly to the floor", () => {
    const cosine = Array.from({ length: 14 }, (_, s) => learningRateAt(s, { ...base, schedule: "cosine" }));
    expect(cosine.slice(0, 4)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(cosine[9]).toBeCloseTo(0.5, 12); // halfway through the decay: (1 + cos π/2)/2
    expect(learningRateAt(14, { ...base, schedule: "cosine" })).toBeCloseTo(0, 12);
    expect(learningRateAt(9, { ...base, schedule: "linear" })).toBeCloseTo(0.5, 12);
    expect(learningRateAt(14, { ...base, schedule: "linear", minLearningRateRatio: 0.1 })).toBeCloseTo(
      0.1,
      12,
    );
    expect(learningRateAt(13, { ...base, schedule: "constant" })).toBe(1);
  });
});

describe("progress bar", () => {
  const progress = (step: number): TrainProgress => ({
    step,
    totalSteps: 10,
    loss: 1.23456,
    learningRate: 1e-4,
    gradNorm: 1,
    tokens: 500,
    tokensPerSecond: 250,
    elapsedMs: 2000,
  });

  it("draws step, loss and tokens/s on a terminal, and logs a tenth of the steps elsewhere", () => {
    const written: string[] = [];
    const stream = (isTTY: boolean) =>
      ({ isTTY, write: (s: string) => written.push(s) > 0 }) as unknown as NodeJS.WriteStream;
    const tty = createProgressBar({ stream: stream(true) });
    tty.update(progress(3));
    tty.finish();
    expect(written[0]).toContain("[#######                 ] 3/10 loss 1.2346 lr 1.00e-4 250 tok/s");
    expect(written.at(-1)).toBe("\n");

    const logged: unknown[] = [];
    const logger = { info: (fields: unknown) => logged.push(fields) } as unknown as Logger;
    const piped = createProgressBar({ stream: stream(false), logger });
    written.length = 0;
    for (let step = 1; step <= 10; step++) piped.update(progress(step));
    expect(written).toEqual([]);
    expect(logged).toHaveLength(10);
    createProgressBar({ stream: stream(true), quiet: true }).update(progress(1));
    expect(written).toEqual([]);
  });
});
