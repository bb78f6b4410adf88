// LoRA training on a tiny model: it learns, it is reproducible, it leaks nothing, data-parallel is exact, FedProx holds it back.
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoraAdapter, type LoraConfig } from "../../model/lora.ts";
import type { LlamaModel } from "../../model/llama.ts";
import { trainLora, type LoraTrainSettings } from "../../client/training/train-lora.ts";
import { charTokenizer } from "./fake-tokenizer.ts";
import { additionRows, startBackend, tinyModel } from "./fixtures.ts";

const tokenizer = { ...charTokenizer, padId: 0 };
const lora = (over: Partial<LoraConfig> = {}): LoraConfig => ({
  r: 4,
  alpha: 8,
  dropout: 0,
  targetModules: ["q_proj", "v_proj", "down_proj"],
  mode: "standard",
  seed: 5,
  ...over,
});
const settings: Partial<LoraTrainSettings> = {
  steps: 12,
  batchSize: 8,
  learningRate: 2e-2,
  seqLen: 48,
  seed: 3,
};

let model: LlamaModel;
beforeAll(async () => {
  await startBackend();
  model = tinyModel(128);
});
afterAll(() => model.dispose());

async function run(config: LoraConfig, over: Partial<LoraTrainSettings> = {}, workers = 1) {
  const adapter = createLoraAdapter(model, config);
  const result = await trainLora({
    model,
    adapter,
    examples: additionRows(24),
    tokenizer,
    settings: { ...settings, ...over },
    workers,
  });
  const weights = adapter.flatten();
  adapter.dispose();
  return { result, weights };
}

describe("trainLora", () => {
  it("lowers the loss on a learnable task and leaves no tensors behind", async () => {
    await run(lora(), { steps: 1 }); // warm the model's per-length caches (rotary tables, transposes)
    const before = tf.memory().numTensors;
    const { result } = await run(lora(), { steps: 30, warmupSteps: 3, learningRate: 3e-2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.steps).toBe(30);
    expect(result.examples).toBe(24);
    const first = result.lossHistory.slice(0, 3).reduce((a, b) => a + b) / 3;
    const last = result.lossHistory.slice(-3).reduce((a, b) => a + b) / 3;
    expect(last).toBeLessThan(first * 0.4);
  });

  it("is reproducible: the same seed gives the same losses, another seed others (with dropout)", async () => {
    const a = await run(lora({ dropout: 0.1 }));
    const b = await run(lora({ dropout: 0.1 }));
    const c = await run(lora({ dropout: 0.1 }), { seed: 4 });
    expect(b.result.lossHistory).toEqual(a.result.lossHistory);
    expect(b.weights).toEqual(a.weights);
    expect(c.result.lossHistory).not.toEqual(a.result.lossHistory);
  });

  it("trains only B in ffa mode", async () => {
    const adapter = createLoraAdapter(model, lora({ mode: "ffa" }));
    const aBefore = [...adapter.namedTensors()].filter(([key]) => key.includes("lora_A"));
    await trainLora({
      model,
      adapter,
      examples: additionRows(8),
      tokenizer,
      settings: { ...settings, steps: 3 },
    });
    const after = adapter.namedTensors();
    for (const [key, tensor] of aBefore) expect(after.get(key)!.data).toEqual(tensor.data);
    expect(adapter.flatten().some((v) => v !== 0)).toBe(true);
    adapter.dispose();
  });

  it("computes the same steps with two data-parallel threads as with one", async () => {
    const one = await run(lora(), { steps: 4 });
    const two = await run(lora(), { steps: 4 }, 2);
    two.result.lossHistory.forEach((loss, i) => expect(loss).toBeCloseTo(one.result.lossHistory[i]!, 4));
    two.weights.forEach((w, i) => expect(Math.abs(w - one.weights[i]!)).toBeLessThan(1e-4));
  });

  it("holds the adapter near its start with a FedProx term", async () => {
    const free = await run(lora(), { steps: 6 });
    const held = await run(lora(), { steps: 6, proximalMu: 1000 });
    const norm = (v: Float32Array) => Math.hypot(...v);
    const start = createLoraAdapter(model, lora());
    const initial = start.flatten();
    start.dispose();
    const drift = (v: Float32Array) => norm(v.map((x, i) => x - initial[i]!));
    expect(drift(held.weights)).toBeLessThan(drift(free.weights) / 2);
  });
});
