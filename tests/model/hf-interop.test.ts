// fedtune's model and adapter code against reference outputs of HF transformers 5.17 and peft 0.21.
// The vectors in tests/vectors/hf-transformers/ were written by scripts/interop/make_hf_vectors.py on a
// machine with transformers, peft and torch: tiny random checkpoints, their logits, a peft-made adapter,
// and peft's logits for an adapter that fedtune wrote.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { pino } from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../../model/backend.ts";
import { readLlamaConfig } from "../../model/config.ts";
import { LlamaModel } from "../../model/llama.ts";
import { loadAdapter } from "../../model/lora-folder.ts";
import { readCheckpointFolder } from "../../model/safetensors.ts";
import { loadTokenizer } from "../../model/tokenizer.ts";

const VECTORS = join(import.meta.dirname, "..", "vectors", "hf-transformers");

interface ExpectedLogits {
  readonly input_ids: number[][];
  readonly shape: [number, number, number];
  readonly logits: number[];
}

async function loadVectorModel(name: string): Promise<LlamaModel> {
  const dir = join(VECTORS, "models", name);
  const config = await readLlamaConfig(join(dir, "config.json"));
  const checkpoint = await readCheckpointFolder(dir);
  return LlamaModel.fromWeights(config, checkpoint.tensors);
}

async function expectedLogits(dir: string): Promise<ExpectedLogits> {
  return JSON.parse(await readFile(join(dir, "expected_logits.json"), "utf8")) as ExpectedLogits;
}

function maxAbsDifference(actual: Float32Array, expected: readonly number[]): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  actual.forEach((value, i) => {
    worst = Math.max(worst, Math.abs(value - (expected[i] ?? Number.NaN)));
  });
  return worst;
}

function logitsOf(
  model: LlamaModel,
  inputIds: number[][],
  lora?: Parameters<LlamaModel["forward"]>[1],
): Float32Array {
  return tf.tidy(
    () => model.forward(tf.tensor2d(inputIds, undefined, "int32"), lora).dataSync() as Float32Array,
  );
}

beforeAll(async () => {
  await initBackend(pino({ level: "silent" }));
});

describe("logits match transformers' LlamaForCausalLM / Qwen2ForCausalLM", () => {
  it.each(["llama-gqa-untied-f32", "llama-mha-tied-bf16-sharded", "llama-gqa-f16", "qwen2-bias"])(
    "%s",
    async (name) => {
      const model = await loadVectorModel(name);
      const expected = await expectedLogits(join(VECTORS, "models", name));
      const actual = logitsOf(model, expected.input_ids);
      model.dispose();
      // float32 accumulation in a different order than torch's: agree to ~1e-5 of logits of size ~5.
      expect(maxAbsDifference(actual, expected.logits)).toBeLessThan(2e-4);
    },
  );
});

describe("an adapter written by peft", () => {
  it("loads in fedtune and gives peft's logits", async () => {
    const model = await loadVectorModel("llama-gqa-untied-f32");
    const adapterDir = join(VECTORS, "peft-adapter");
    const adapter = await loadAdapter(adapterDir, model);
    const expected = await expectedLogits(adapterDir);
    const actual = logitsOf(model, expected.input_ids, adapter);
    const base = logitsOf(model, expected.input_ids);
    adapter.dispose();
    model.dispose();
    expect(maxAbsDifference(actual, expected.logits)).toBeLessThan(2e-4);
    // The adapter changes the output, so the match above is not the base model's.
    expect(maxAbsDifference(base, expected.logits)).toBeGreaterThan(1e-2);
  });
});

describe("an adapter written by fedtune", () => {
  // tests/vectors/fedtune-adapter/ was written by fedtune's saveAdapter (FFA-LoRA, every target module);
  // peft-logits.json holds what peft 0.21's PeftModel.from_pretrained computed with it on the GPU machine.
  const adapterDir = join(import.meta.dirname, "..", "vectors", "fedtune-adapter");

  it("loads in peft unchanged: peft's logits equal fedtune's", async () => {
    const recorded = JSON.parse(await readFile(join(adapterDir, "peft-logits.json"), "utf8")) as {
      base: ExpectedLogits;
      adapter: ExpectedLogits;
    };
    const model = await loadVectorModel("llama-gqa-untied-f32");
    const adapter = await loadAdapter(adapterDir, model);
    const withAdapter = logitsOf(model, recorded.adapter.input_ids, adapter);
    const base = logitsOf(model, recorded.base.input_ids);
    adapter.dispose();
    model.dispose();
    expect(maxAbsDifference(base, recorded.base.logits)).toBeLessThan(2e-4);
    expect(maxAbsDifference(withAdapter, recorded.adapter.logits)).toBeLessThan(2e-4);
    expect(maxAbsDifference(withAdapter, recorded.base.logits)).toBeGreaterThan(1e-2);
  });

  // tokenizer.json beside it is a byte-level BPE that fedtune's bpe-trainer made for the built-in model.
  it("a tokenizer trained by fedtune encodes as HF tokenizers does", async () => {
    const recorded = JSON.parse(await readFile(join(adapterDir, "peft-logits.json"), "utf8")) as {
      tokenizer: { text: string; ids: number[] }[];
    };
    const tokenizer = await loadTokenizer(adapterDir);
    for (const sample of recorded.tokenizer) {
      expect(tokenizer.encode(sample.text, { addBos: true }), sample.text).toEqual(sample.ids);
    }
  });
});
