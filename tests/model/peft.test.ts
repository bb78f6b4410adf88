// PEFT adapter folders: round trip, adapters written by Python peft (".default" keys), the coordinator's flat path.
import * as tf from "@tensorflow/tfjs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LlamaModel, randomLlamaWeights } from "../../model/llama.ts";
import { createLoraAdapter, type LoraConfig } from "../../model/lora.ts";
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  LoraError,
  loraFlatLength,
  loraTensorsFromFlat,
  readPeftAdapter,
  writePeftAdapter,
} from "../../model/peft.ts";
import { loadAdapter, saveAdapter } from "../../model/lora-folder.ts";
import { BUILTIN_MODEL_DIR } from "../../model/model-dir.ts";
import { SeededStream } from "../../model/prng.ts";
import { serializeSafetensors } from "../../model/safetensors.ts";
import { maxAbsDifference, startBackend, tinyConfig } from "./helpers.ts";

const loraConfig: LoraConfig = {
  r: 2,
  alpha: 8,
  dropout: 0.05,
  targetModules: ["q_proj", "v_proj", "down_proj"],
  mode: "ffa",
  seed: 42,
};

function randomFlat(length: number, seed: number): Float32Array {
  return new SeededStream(seed).fillNormal(new Float32Array(length), 0, 0.5);
}

describe("PEFT adapter I/O", () => {
  let dir: string;
  beforeAll(async () => {
    await startBackend();
    dir = await mkdtemp(join(tmpdir(), "fedtune-peft-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("writes PEFT's layout and reads back identical tensors and config", async () => {
    const config = tinyConfig({ num_key_value_heads: 2 });
    const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 1));
    const adapter = createLoraAdapter(model, loraConfig);
    adapter.assign(randomFlat(adapter.flatLength, 2));
    const out = join(dir, "round-trip");
    await saveAdapter(out, adapter, { baseModelNameOrPath: "builtin" });

    const json = JSON.parse(await readFile(join(out, ADAPTER_CONFIG_FILE), "utf8")) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({
      peft_type: "LORA",
      task_type: "CAUSAL_LM",
      r: 2,
      lora_alpha: 8,
      lora_dropout: 0.05,
      target_modules: ["q_proj", "v_proj", "down_proj"],
      // A folder PEFT can load, not fedtune's own word for it.
      base_model_name_or_path: BUILTIN_MODEL_DIR,
      bias: "none",
      fan_in_fan_out: false,
      inference_mode: true,
    });
    const read = await readPeftAdapter(out);
    expect(read.lora).toEqual(loraConfig);
    expect(read.baseModelNameOrPath).toBe(BUILTIN_MODEL_DIR);
    expect(existsSync(join(BUILTIN_MODEL_DIR, "config.json"))).toBe(true);
    const written = adapter.namedTensors();
    expect([...read.tensors.keys()]).toEqual([...written.keys()]);
    for (const [key, tensor] of written) {
      expect(read.tensors.get(key)?.shape).toEqual(tensor.shape);
      expect(maxAbsDifference(read.tensors.get(key)?.data ?? [], tensor.data)).toBe(0);
    }
    const loaded = await loadAdapter(out, model);
    expect(maxAbsDifference(loaded.flatten(), adapter.flatten())).toBe(0);
    loaded.dispose();
    adapter.dispose();
    model.dispose();
  });

  it("loads an adapter saved by Python peft with '.default' keys and extra config fields", async () => {
    const config = tinyConfig();
    const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 3, { std: 0.3 }));
    const standard: LoraConfig = { ...loraConfig, mode: "standard", targetModules: ["k_proj", "o_proj"] };
    const tensors = loraTensorsFromFlat(config, standard, randomFlat(loraFlatLength(config, standard), 4));
    const renamed = new Map([...tensors].map(([key, t]) => [key.replace(/\.weight$/, ".default.weight"), t]));
    const out = join(dir, "python");
    await mkdir(out);
    await writeFile(
      join(out, ADAPTER_WEIGHTS_FILE),
      serializeSafetensors(renamed, { metadata: { format: "pt" } }),
    );
    await writeFile(
      join(out, ADAPTER_CONFIG_FILE),
      JSON.stringify({
        peft_type: "LORA",
        task_type: "CAUSAL_LM",
        r: 2,
        lora_alpha: 8,
        lora_dropout: 0.0,
        target_modules: "model.*(k_proj|o_proj)",
        base_model_name_or_path: "someone/tiny-llama",
        bias: "none",
        fan_in_fan_out: false,
        use_rslora: false,
        use_dora: false,
        eva_config: null,
        exclude_modules: null,
        lora_bias: false,
        rank_pattern: {},
        alpha_pattern: {},
        modules_to_save: null,
        revision: null,
      }),
    );
    const adapter = await loadAdapter(out, model);
    expect(adapter.config.targetModules).toEqual(["k_proj", "o_proj"]);
    expect(adapter.config.mode).toBe("standard");
    for (const [key, tensor] of tensors) {
      expect(maxAbsDifference(adapter.namedTensors().get(key)?.data ?? [], tensor.data), key).toBe(0);
    }
    const ids = tf.tensor2d([[1, 2, 3]], [1, 3], "int32");
    const delta = tf.tidy(() =>
      tf.max(tf.abs(tf.sub(model.forward(ids, adapter), model.forward(ids)))).arraySync(),
    );
    expect(delta).toBeGreaterThan(1e-3);
    ids.dispose();
    adapter.dispose();
    model.dispose();
  });

  it("writes a coordinator checkpoint from a flat vector that sites load back to the same vector", async () => {
    const config = tinyConfig({ num_key_value_heads: 1 });
    const flat = randomFlat(loraFlatLength(config, loraConfig), 5);
    const out = join(dir, "from-flat");
    await writePeftAdapter(out, loraTensorsFromFlat(config, loraConfig, flat), loraConfig, {
      baseModelNameOrPath: null,
    });
    const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 6));
    const adapter = await loadAdapter(out, model);
    expect(adapter.config.mode).toBe("ffa");
    expect(maxAbsDifference(adapter.flatten(), flat)).toBe(0);
    // Its frozen A is the one every site derives from the seed.
    const fresh = createLoraAdapter(model, loraConfig);
    const key = "base_model.model.model.layers.1.mlp.down_proj.lora_A.weight";
    expect(
      maxAbsDifference(
        adapter.namedTensors().get(key)?.data ?? [],
        fresh.namedTensors().get(key)?.data ?? [],
      ),
    ).toBe(0);
    expect(() => loraTensorsFromFlat(config, loraConfig, flat.subarray(1))).toThrow(LoraError);
    fresh.dispose();
    adapter.dispose();
    model.dispose();
  });

  it("refuses pickled weights, unsupported options and adapters that do not fit the model", async () => {
    const config = tinyConfig();
    const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 7));
    const pickled = join(dir, "pickled");
    await mkdir(pickled);
    await writeFile(
      join(pickled, ADAPTER_CONFIG_FILE),
      JSON.stringify({ peft_type: "LORA", r: 2, lora_alpha: 4 }),
    );
    await writeFile(join(pickled, "adapter_model.bin"), "not really");
    await expect(loadAdapter(pickled, model)).rejects.toThrow(/adapter_model.bin/);

    const good = join(dir, "good");
    const tensors = loraTensorsFromFlat(
      config,
      loraConfig,
      randomFlat(loraFlatLength(config, loraConfig), 8),
    );
    await writePeftAdapter(good, tensors, loraConfig, { baseModelNameOrPath: null });
    const raw = JSON.parse(await readFile(join(good, ADAPTER_CONFIG_FILE), "utf8")) as Record<
      string,
      unknown
    >;
    await writeFile(join(good, ADAPTER_CONFIG_FILE), JSON.stringify({ ...raw, use_dora: true }));
    await expect(readPeftAdapter(good)).rejects.toThrow(/DoRA/);

    await writeFile(join(good, ADAPTER_CONFIG_FILE), JSON.stringify(raw));
    const wider = LlamaModel.fromWeights(
      tinyConfig({ hidden_size: 32 }),
      randomLlamaWeights(tinyConfig({ hidden_size: 32 }), 9),
    );
    await expect(loadAdapter(good, wider)).rejects.toThrow(/expected \[2, 32\]/);
    wider.dispose();
    model.dispose();
  });
});
