// DP-SGD: per-example clipping bounds each example's influence, noise comes from the injected Rng, the ledger gets q, σ, steps.
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRng } from "../../crypto/rng.ts";
import type { LlamaModel } from "../../model/llama.ts";
import { createLoraAdapter, type LoraAdapter } from "../../model/lora.ts";
import { tokenizeExamples } from "../../client/data/prompt-format.ts";
import { padBatch, splitBatch } from "../../client/training/batches.ts";
import { PER_EXAMPLE_CHUNK, dpSgdGradientFn, poissonLots } from "../../client/training/dp-sgd.ts";
import { readFlat } from "../../client/training/flat-values.ts";
import { batchLoss } from "../../client/training/loss.ts";
import { TrainSettingsError } from "../../client/training/train-model.ts";
import { trainLora } from "../../client/training/train-lora.ts";
import { charTokenizer } from "./fake-tokenizer.ts";
import { additionRows, startBackend, tinyModel } from "./fixtures.ts";

const tokenizer = { ...charTokenizer, padId: 0 };
let model: LlamaModel;
let adapter: LoraAdapter;

beforeAll(async () => {
  await startBackend();
  model = tinyModel(128, 2);
  adapter = createLoraAdapter(model, {
    r: 2,
    alpha: 4,
    dropout: 0,
    targetModules: ["v_proj"],
    mode: "standard",
    seed: 1,
  });
});
afterAll(() => {
  adapter.dispose();
  model.dispose();
});

const lot = padBatch(tokenizeExamples(additionRows(4), tokenizer, 48).examples, 0);
const variables = () => adapter.trainableVariables();

async function privatised(clipNorm: number, noiseMultiplier: number, seed: number): Promise<Float32Array> {
  const fn = dpSgdGradientFn(
    model,
    adapter,
    variables(),
    { clipNorm, noiseMultiplier, rng: seededRng(seed) },
    4,
  );
  const { grads } = await fn(lot);
  const flat = readFlat(grads);
  tf.dispose(grads);
  return flat;
}

describe("DP-SGD", () => {
  it("without noise and with a loose clip, averages the per-example mean-loss gradients", async () => {
    const expected = new Float64Array(readFlat(variables()).length);
    for (const example of splitBatch(lot, lot.batchSize)) {
      const { value, grads } = tf.variableGrads(
        () => batchLoss(model, adapter, example, example.scoredTokens),
        variables(),
      );
      readFlat(variables().map((v) => grads[v.name]!)).forEach((g, i) => (expected[i]! += g / 4));
      tf.dispose([value, ...Object.values(grads)]);
    }
    const actual = await privatised(1e6, 0, 1);
    actual.forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 5));
  });

  it("bounds the influence of each example by the clip norm, and noises from the injected Rng", async () => {
    const norm = (v: Float32Array) => Math.hypot(...v);
    // Four examples, each clipped to C, summed and divided by the expected lot size 4: norm ≤ C.
    expect(norm(await privatised(1e-3, 0, 1))).toBeLessThanOrEqual(1e-3 + 1e-9);
    const a = await privatised(1e-3, 1, 7);
    expect(await privatised(1e-3, 1, 7)).toEqual(a);
    expect(await privatised(1e-3, 1, 8)).not.toEqual(a);
    // σC/expected = 2.5e-4 per coordinate: the noise dominates the clipped signal (≤ 1e-3 in norm).
    expect(norm(a)).toBeGreaterThan(1e-3);
  });

  it("samples Poisson lots of the expected size", () => {
    const examples = Array.from({ length: 200 }, () => ({ ids: [1, 2, 3], lossMask: [0, 1, 1] }));
    const sizes = [...poissonLots(examples, 0.1, 50, 0, seededRng(3))].map((b) => b.batchSize);
    const mean = sizes.reduce((a, b) => a + b) / sizes.length;
    expect(mean).toBeGreaterThan(15);
    expect(mean).toBeLessThan(25);
    expect(new Set(sizes).size).toBeGreaterThan(3);
  });

  it("pads each lot with its rows in length order, so that its chunks trim to their own longest row", () => {
    const examples = Array.from({ length: 60 }, (_, i) => ({
      ids: Array.from({ length: 2 + ((i * 7) % 13) }, (_, t) => t + 1),
      lossMask: Array.from({ length: 2 + ((i * 7) % 13) }, (_, t) => (t === 0 ? 0 : 1)),
    }));
    for (const lot of poissonLots(examples, 0.5, 5, 0, seededRng(4))) {
      const lengths = Array.from(lot.rowTokens);
      expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
      expect(new Set(lengths).size).toBeGreaterThan(3);
    }
  });

  it("trains through trainLora and reports what the ledger must charge", async () => {
    const dp = { clipNorm: 1, noiseMultiplier: 0.8, rng: seededRng(9) };
    const fresh = createLoraAdapter(model, adapter.config);
    const result = await trainLora({
      model,
      adapter: fresh,
      examples: additionRows(16),
      tokenizer,
      settings: { steps: 2, batchSize: 4, seqLen: 48 },
      dpSgd: dp,
    });
    expect(result.privacy).toEqual({ samplingRate: 4 / 16, noiseMultiplier: 0.8, steps: 2 });
    await expect(
      trainLora({ model, adapter: fresh, examples: additionRows(4), tokenizer, dpSgd: dp, workers: 2 }),
    ).rejects.toThrow(TrainSettingsError);
    fresh.dispose();
  });

  it("gives FFA-LoRA's per-example gradients from one pass, equal to one example at a time", async () => {
    const ffa = createLoraAdapter(model, {
      ...adapter.config,
      targetModules: ["q_proj", "v_proj"],
      mode: "ffa",
    });
    const rng = seededRng("ffa-b");
    ffa.assign(Float32Array.from({ length: ffa.flatLength }, () => rng.nextFloat64() - 0.5));
    // Rows of different lengths, so that the loop trims padding and the single pass keeps it.
    // More rows than PER_EXAMPLE_CHUNK, so that the single pass goes in two chunks.
    const rows = additionRows(PER_EXAMPLE_CHUNK + 4).map((row, i) =>
      row.kind === "instruction" ? { ...row, instruction: `${row.instruction}${"+0".repeat(i % 7)}` } : row,
    );
    const mixed = padBatch(tokenizeExamples(rows, tokenizer, 48).examples, 0);
    expect(new Set(mixed.rowTokens).size).toBeGreaterThan(1);
    // A plain hook (no perExampleHook) takes the loop.
    const plain = { applyLora: ffa.applyLora.bind(ffa) };
    // Warm the model's per-length caches (rotary tables, masks) and the frozen-A transposes first.
    for (const hook of [ffa, plain]) {
      const warm = await dpSgdGradientFn(
        model,
        hook,
        ffa.trainableVariables(),
        { clipNorm: 1, noiseMultiplier: 0, rng: seededRng(1) },
        6,
      )(mixed);
      tf.dispose(warm.grads);
    }
    for (const clipNorm of [1e6, 1e-2]) {
      const settings = { clipNorm, noiseMultiplier: 0, rng: seededRng(1) };
      const before = tf.memory().numTensors;
      const once = await dpSgdGradientFn(model, ffa, ffa.trainableVariables(), settings, 6)(mixed);
      const looped = await dpSgdGradientFn(model, plain, ffa.trainableVariables(), settings, 6)(mixed);
      const [a, b] = [readFlat(once.grads), readFlat(looped.grads)];
      tf.dispose([...once.grads, ...looped.grads]);
      expect(tf.memory().numTensors).toBe(before);
      expect(Math.max(...a.map((x) => Math.abs(x)))).toBeGreaterThan(0);
      a.forEach((g, i) => expect(g).toBeCloseTo(b[i]!, 6));
      expect(once.loss).toBeCloseTo(looped.loss, 5);
    }
    ffa.dispose();
  });
});
