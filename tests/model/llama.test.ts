// Forward logits against the float64 reference: MHA/GQA, tied/untied, Qwen2 biases, f32/bf16, sharded.
import * as tf from "@tensorflow/tfjs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHfConfig, type LlamaConfig } from "../../model/config.ts";
import { LlamaModel, LlamaWeightsError, randomLlamaWeights } from "../../model/llama.ts";
import { readCheckpointFolder, writeCheckpointFolder, type TensorMap } from "../../model/safetensors.ts";
import { maxAbsDifference, startBackend, tinyConfig } from "./helpers.ts";
import { referenceLogits } from "./reference.ts";

const IDS = [
  [1, 5, 7, 2, 22, 0, 13],
  [3, 3, 9, 14, 6, 11, 19],
];

function modelLogits(model: LlamaModel): Float32Array {
  const ids = tf.tensor2d(IDS, [IDS.length, IDS[0]?.length ?? 0], "int32");
  const logits = model.forward(ids);
  const data = logits.dataSync() as Float32Array;
  tf.dispose([ids, logits]);
  return data;
}

function expectMatchesReference(config: LlamaConfig, weights: TensorMap): void {
  const expected = IDS.flatMap((row) => referenceLogits(config, weights, row).flatMap((v) => [...v]));
  const model = LlamaModel.fromWeights(config, weights);
  const actual = modelLogits(model);
  model.dispose();
  const scale = Math.max(...expected.map(Math.abs));
  expect(scale).toBeGreaterThan(0.1);
  expect(maxAbsDifference(actual, expected)).toBeLessThan(2e-5 * Math.max(1, scale) * 10);
}

const weightOptions = { std: 0.3, normStd: 0.2 };

describe("LlamaModel forward", () => {
  let dir: string;
  beforeAll(async () => {
    await startBackend();
    dir = await mkdtemp(join(tmpdir(), "fedtune-llama-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("matches the reference with multi-head attention and an untied lm_head", () => {
    const config = tinyConfig();
    expectMatchesReference(config, randomLlamaWeights(config, 1, weightOptions));
  });

  it("matches the reference with grouped-query attention and tied embeddings", () => {
    const config = tinyConfig({ num_key_value_heads: 2, tie_word_embeddings: true, rope_theta: 500 });
    expectMatchesReference(config, randomLlamaWeights(config, 2, weightOptions));
  });

  it("matches the reference for Qwen2 (q/k/v biases, explicit head_dim, one kv head)", () => {
    const config = tinyConfig({ model_type: "qwen2", num_key_value_heads: 1, head_dim: 6, rope_theta: 1e6 });
    expect(config.qkvBias && !config.oBias).toBe(true);
    expectMatchesReference(config, randomLlamaWeights(config, 3, weightOptions));
  });

  it("matches the reference for LLaMA with attention and MLP biases", () => {
    const config = tinyConfig({ attention_bias: true, mlp_bias: true, num_key_value_heads: 2 });
    expectMatchesReference(config, randomLlamaWeights(config, 4, weightOptions));
  });

  it("matches the reference from a sharded bf16 checkpoint on disk", async () => {
    const config = tinyConfig({ num_key_value_heads: 2 });
    const folder = join(dir, "bf16");
    await import("node:fs/promises").then(async (fs) => fs.mkdir(folder));
    const files = await writeCheckpointFolder(folder, randomLlamaWeights(config, 5, weightOptions), {
      dtype: "BF16",
      maxShardBytes: 1500,
    });
    expect(files.length).toBeGreaterThan(2);
    await writeFile(join(folder, "config.json"), JSON.stringify(toHfConfig(config)));
    const loaded = await readCheckpointFolder(folder);
    expect(new Set(loaded.dtypes.values())).toEqual(new Set(["BF16"]));
    // bf16 keeps 8 mantissa bits: every value read back has its low 16 bits zero.
    const first = loaded.tensors.get("model.embed_tokens.weight")?.data ?? new Float32Array();
    expect(
      new Uint32Array(first.buffer, first.byteOffset, first.length).every((bits) => (bits & 0xffff) === 0),
    ).toBe(true);
    expectMatchesReference(config, loaded.tensors);
  });

  it("exports the weights it was built from", () => {
    const config = tinyConfig({ model_type: "qwen2", num_key_value_heads: 2 });
    const weights = randomLlamaWeights(config, 6);
    const model = LlamaModel.fromWeights(config, weights);
    const exported = model.exportWeights();
    model.dispose();
    expect([...exported.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [key, tensor] of weights) {
      expect(exported.get(key)?.shape, key).toEqual(tensor.shape);
      expect(maxAbsDifference(exported.get(key)?.data ?? [], tensor.data), key).toBe(0);
    }
  });

  it("rejects missing, misshapen and unknown weights, and out-of-range ids", () => {
    const config = tinyConfig();
    const weights = randomLlamaWeights(config, 7);
    const missing = new Map(weights);
    missing.delete("model.layers.1.mlp.up_proj.weight");
    expect(() => LlamaModel.fromWeights(config, missing)).toThrow(
      /missing weight model.layers.1.mlp.up_proj.weight/,
    );
    const misshapen = new Map(weights);
    misshapen.set("model.norm.weight", { shape: [15], data: new Float32Array(15) });
    expect(() => LlamaModel.fromWeights(config, misshapen)).toThrow(LlamaWeightsError);
    const unknown = new Map(weights);
    unknown.set("model.layers.9.foo", { shape: [1], data: new Float32Array(1) });
    expect(() => LlamaModel.fromWeights(config, unknown)).toThrow(/unexpected weights/);
    const model = LlamaModel.fromWeights(config, weights);
    const ids = tf.tensor2d([[1, 23]], [1, 2], "int32");
    expect(() => model.forward(ids)).toThrow(/outside the vocabulary/);
    ids.dispose();
    model.dispose();
  });

  it("frees every tensor after forward, backward and dispose", () => {
    const before = tf.memory().numTensors;
    const config = tinyConfig({ num_key_value_heads: 2, tie_word_embeddings: true });
    const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 8));
    const ids = tf.tensor2d(IDS, [2, 7], "int32");
    tf.dispose(model.forward(ids));
    model.setBaseTrainable(true);
    const { value, grads } = tf.variableGrads(() => tf.mean(model.forward(ids)), model.trainableVariables());
    expect(Object.keys(grads).length).toBe(model.trainableVariables().length);
    tf.dispose([value, ...Object.values(grads)]);
    model.setBaseTrainable(false);
    ids.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
