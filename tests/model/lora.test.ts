// LoRA: B = 0 is the base model, merged-weight equivalence, finite-difference gradients, flat layout, FFA.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { hfModulePath, projectionLayout } from "../../model/architecture.ts";
import type { LlamaConfig } from "../../model/config.ts";
import { LlamaModel, randomLlamaWeights } from "../../model/llama.ts";
import { createLoraAdapter, type LoraAdapter, type LoraConfig } from "../../model/lora.ts";
import { initialLoraTensors, loraParameterLayout, loraTensorsFromFlat } from "../../model/lora-layout.ts";
import { SeededStream } from "../../model/prng.ts";
import type { TensorMap } from "../../model/safetensors.ts";
import { maxAbsDifference, startBackend, tinyConfig } from "./helpers.ts";
import { referenceLogits } from "./reference.ts";

const ALL_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
const IDS = [
  [4, 8, 15, 16, 22, 0],
  [2, 7, 1, 8, 2, 8],
];

function lora(overrides: Partial<LoraConfig> = {}): LoraConfig {
  return { r: 3, alpha: 6, dropout: 0, targetModules: ALL_MODULES, mode: "standard", seed: 11, ...overrides };
}

function logits(model: LlamaModel, adapter?: LoraAdapter, training = false): Float32Array {
  return tf.tidy(() => {
    const ids = tf.tensor2d(IDS, [2, 6], "int32");
    return model.forward(ids, adapter, { training }).dataSync() as Float32Array;
  });
}

function randomFlat(length: number, seed: number, scale: number): Float32Array {
  return new SeededStream(seed).fillNormal(new Float32Array(length), 0, scale);
}

/** W + scaling·B·A for every adapted module, in HF layout, to feed the float64 reference. */
function mergedWeights(
  config: LlamaConfig,
  base: TensorMap,
  loraConfig: LoraConfig,
  adapter: TensorMap,
): TensorMap {
  const merged: TensorMap = new Map(base);
  const scaling = loraConfig.alpha / loraConfig.r;
  for (let layer = 0; layer < config.numLayers; layer++) {
    for (const slot of projectionLayout(config)) {
      if (!loraConfig.targetModules.includes(slot.module)) continue;
      const key = `${hfModulePath(layer, slot.module)}.weight`;
      const w = base.get(key)?.data ?? new Float32Array();
      const a = adapter.get(`base_model.model.${hfModulePath(layer, slot.module)}.lora_A.weight`)?.data ?? [];
      const b = adapter.get(`base_model.model.${hfModulePath(layer, slot.module)}.lora_B.weight`)?.data ?? [];
      const out = Float32Array.from(w);
      for (let o = 0; o < slot.outFeatures; o++) {
        for (let i = 0; i < slot.inFeatures; i++) {
          let sum = 0;
          for (let k = 0; k < loraConfig.r; k++)
            sum += (b[o * loraConfig.r + k] ?? 0) * (a[k * slot.inFeatures + i] ?? 0);
          out[o * slot.inFeatures + i] = (out[o * slot.inFeatures + i] ?? 0) + scaling * sum;
        }
      }
      merged.set(key, { shape: [slot.outFeatures, slot.inFeatures], data: out });
    }
  }
  return merged;
}

describe("LoRA adapters", () => {
  beforeAll(startBackend);

  it("leaves the model unchanged while B = 0 (PEFT initialisation), in both modes", () => {
    const config = tinyConfig({ num_key_value_heads: 2 });
    const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 1, { std: 0.3 }));
    const base = logits(model);
    for (const mode of ["standard", "ffa"] as const) {
      const adapter = createLoraAdapter(model, lora({ mode }));
      expect(maxAbsDifference(logits(model, adapter), base)).toBe(0);
      adapter.dispose();
    }
    model.dispose();
  });

  it("equals the reference on merged weights W + (α/r)·B·A for fused and single projections", () => {
    const config = tinyConfig({ model_type: "qwen2", num_key_value_heads: 2 });
    const weights = randomLlamaWeights(config, 2, { std: 0.3, normStd: 0.1 });
    const model = LlamaModel.fromWeights(config, weights);
    for (const targetModules of [ALL_MODULES, ["k_proj", "up_proj"], ["v_proj", "o_proj", "down_proj"]]) {
      const loraConfig = lora({ targetModules });
      const adapter = createLoraAdapter(model, loraConfig);
      const tensors = loraTensorsFromFlat(config, loraConfig, randomFlat(adapter.flatLength, 3, 0.3));
      adapter.assignTensors(tensors);
      const merged = mergedWeights(config, weights, loraConfig, tensors);
      const expected = IDS.flatMap((row) => referenceLogits(config, merged, row).flatMap((v) => [...v]));
      expect(maxAbsDifference(logits(model, adapter), expected), targetModules.join()).toBeLessThan(1e-4);
      adapter.dispose();
    }
    model.dispose();
  });

  it("has gradients that match central finite differences (standard and ffa)", () => {
    const config = tinyConfig({ num_key_value_heads: 2, tie_word_embeddings: true });
    const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 4, { std: 0.3 }));
    const ids = tf.tensor2d(IDS, [2, 6], "int32");
    const probe = tf.randomNormal([2, 6, config.vocabSize], 0, 1, "float32", 5);
    for (const mode of ["standard", "ffa"] as const) {
      const adapter = createLoraAdapter(
        model,
        lora({ mode, targetModules: ["q_proj", "v_proj", "down_proj"] }),
      );
      adapter.assign(randomFlat(adapter.flatLength, 6, 0.2));
      const loss = (): tf.Scalar => tf.sum(tf.mul(model.forward(ids, adapter), probe));
      const variables = adapter.trainableVariables();
      const { grads } = tf.variableGrads(loss, variables);
      const directions = variables.map((v, i) => tf.randomNormal(v.shape, 0, 1, "float32", 100 + i));
      const analytic = tf.tidy(() =>
        tf
          .addN(
            variables.map((v, i) => tf.sum(tf.mul(grads[v.name] as tf.Tensor, directions[i] as tf.Tensor))),
          )
          .arraySync(),
      ) as number;
      const epsilon = 1e-3;
      const originals = variables.map((v) => v.clone());
      const lossAt = (step: number): number => {
        variables.forEach((v, i) =>
          v.assign(
            tf.tidy(() => tf.add(originals[i] as tf.Tensor, tf.mul(directions[i] as tf.Tensor, step))),
          ),
        );
        return tf.tidy(() => loss().arraySync());
      };
      const numeric = (lossAt(epsilon) - lossAt(-epsilon)) / (2 * epsilon);
      expect(Math.abs(analytic)).toBeGreaterThan(0.1);
      expect(Math.abs(numeric - analytic) / Math.abs(analytic), mode).toBeLessThan(1e-2);
      tf.dispose([...Object.values(grads), ...directions, ...originals]);
      adapter.dispose();
    }
    tf.dispose([ids, probe]);
    model.dispose();
  });

  it("flattens trainable tensors in layout order and assigns them back exactly", () => {
    const config = tinyConfig({ num_key_value_heads: 2 });
    for (const mode of ["standard", "ffa"] as const) {
      const loraConfig = lora({ mode, targetModules: ["v_proj", "q_proj", "gate_proj"] });
      const adapter = createLoraAdapter({ config }, loraConfig);
      const flat = randomFlat(adapter.flatLength, 7, 1);
      adapter.assign(flat);
      expect(maxAbsDifference(adapter.flatten(), flat)).toBe(0);
      const named = adapter.namedTensors();
      const layout = loraParameterLayout(config, loraConfig);
      expect([...named.keys()]).toEqual(layout.map((p) => p.key));
      expect(layout[0]?.key).toBe("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
      expect(named.get(layout[1]?.key ?? "")?.shape).toEqual([16, 3]);
      const trainable = layout.filter((p) => p.trainable).flatMap((p) => [...(named.get(p.key)?.data ?? [])]);
      expect(maxAbsDifference(trainable, flat)).toBe(0);
      expect(() => adapter.assign(new Float32Array(flat.length + 1))).toThrow(/values/);
      adapter.dispose();
    }
  });

  it("derives FFA-LoRA's frozen A from the shared seed, and trains only B", () => {
    const config = tinyConfig();
    const loraConfig = lora({ mode: "ffa", targetModules: ["q_proj", "v_proj"] });
    const first = createLoraAdapter({ config }, loraConfig);
    const second = createLoraAdapter(
      { config },
      { ...loraConfig, targetModules: ["v_proj", "q_proj", "o_proj"] },
    );
    const other = createLoraAdapter({ config }, { ...loraConfig, seed: 12 });
    const key = "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight";
    const a = first.namedTensors().get(key)?.data ?? new Float32Array();
    expect(maxAbsDifference(second.namedTensors().get(key)?.data ?? [], a)).toBe(0);
    expect(maxAbsDifference(other.namedTensors().get(key)?.data ?? [], a)).toBeGreaterThan(0);
    expect(maxAbsDifference(initialLoraTensors(config, loraConfig).get(key)?.data ?? [], a)).toBe(0);
    // Kaiming-uniform with a = √5: U(±1/√in_features).
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(16));
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.8 / Math.sqrt(16));
    expect(first.trainableVariables().length).toBe(2 * 2);
    expect(first.flatLength).toBe(2 * (16 * 3 + 16 * 3));
    for (const adapter of [first, second, other]) adapter.dispose();
  });

  it("applies dropout only while training", () => {
    const config = tinyConfig();
    const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 8, { std: 0.3 }));
    const adapter = createLoraAdapter(model, lora({ dropout: 0.5, targetModules: ["q_proj", "k_proj"] }));
    adapter.assign(randomFlat(adapter.flatLength, 9, 0.5));
    expect(maxAbsDifference(logits(model, adapter), logits(model, adapter))).toBe(0);
    expect(maxAbsDifference(logits(model, adapter, true), logits(model, adapter))).toBeGreaterThan(1e-3);
    adapter.dispose();
    model.dispose();
  });

  it("frees every tensor after forward, backward and dispose", () => {
    const before = tf.memory().numTensors;
    const config = tinyConfig({ num_key_value_heads: 2 });
    const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 10));
    for (const mode of ["standard", "ffa"] as const) {
      const adapter = createLoraAdapter(model, lora({ mode, dropout: 0.1 }));
      const ids = tf.tensor2d(IDS, [2, 6], "int32");
      for (const training of [false, true]) {
        const { value, grads } = tf.variableGrads(
          () => tf.mean(model.forward(ids, adapter, { training })),
          adapter.trainableVariables(),
        );
        tf.dispose([value, ...Object.values(grads)]);
      }
      ids.dispose();
      adapter.dispose();
    }
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
