// Memory of one LoRA training step on the built-in engine, by model size (JSON lines): the wasm heap a model
// needs, fitted as bytes = fixed + perParameter·parameters, and the largest model the 4 GiB heap then holds.
// Usage: node bin/run-ts.mjs bench/engine-capacity.ts [--hidden 256,512,768,1024] [--batch-size 4] [--seq-len 256]
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { initBackend } from "../model/backend.ts";
import { parseLlamaConfig } from "../model/config.ts";
import { LlamaModel, randomLlamaWeights } from "../model/llama.ts";
import { createLoraAdapter } from "../model/lora.ts";
import { WASM_HEAP_MAX_BYTES } from "../model/engine-capacity.ts";
import type { TokenizedExample } from "../client/data/prompt-format.ts";
import { trainLanguageModel } from "../client/training/train-lm.ts";
import { DEFAULT_LORA_TRAIN_SETTINGS } from "../client/training/train-lora.ts";
import { BENCH_LORA } from "./models.ts";

const { values } = parseArgs({
  options: {
    hidden: { type: "string", default: "256,512,768,1024" },
    "batch-size": { type: "string", default: "4" },
    "seq-len": { type: "string", default: "256" },
  },
});
const emit = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ bench: "engine-capacity", ...record }) + "\n");
};
const logger = pino({ level: "silent" });
const backend = await initBackend(logger);
const batchSize = Number(values["batch-size"]);
const seqLen = Number(values["seq-len"]);

/** The wasm module's linear memory (it only grows): the high-water mark of everything allocated so far. */
function heapBytes(): number {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm;
  return wasm?.HEAPU8.buffer.byteLength ?? tf.memory().numBytes;
}

const points: { parameters: number; bytes: number }[] = [];
for (const hidden of values.hidden.split(",").map(Number)) {
  // LLaMA proportions: 4 layers per 256 of width, intermediate ≈ 8/3·hidden, heads of 64, GQA 2:1.
  const config = parseLlamaConfig({
    hidden_size: hidden,
    intermediate_size: Math.round((hidden * 8) / 3 / 64) * 64,
    num_hidden_layers: Math.max(2, (hidden / 256) * 4),
    num_attention_heads: hidden / 64,
    num_key_value_heads: Math.max(1, hidden / 128),
    vocab_size: 32_000,
    max_position_embeddings: seqLen,
    tie_word_embeddings: false,
  });
  const before = heapBytes();
  const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 1, { std: 0.02 }));
  const adapter = createLoraAdapter(model, { ...BENCH_LORA, targetModules: [...BENCH_LORA.targetModules] });
  const examples: TokenizedExample[] = Array.from({ length: batchSize }, (_, row) => {
    const ids = Array.from({ length: seqLen }, (_, t) => (row * 7919 + t * 104_729) % 32_000);
    return { ids, lossMask: ids.map(() => 1) };
  });
  const started = performance.now();
  await trainLanguageModel({
    model,
    lora: adapter,
    variables: adapter.trainableVariables(),
    examples,
    padId: 0,
    settings: { ...DEFAULT_LORA_TRAIN_SETTINGS, schedule: "constant", batchSize, steps: 2 },
  });
  const stepMs = (performance.now() - started) / 2;
  const parameters = model.parameterCount();
  const bytes = heapBytes();
  points.push({ parameters, bytes });
  emit({
    backend,
    hidden,
    layers: config.numLayers,
    parameters,
    heapBytes: bytes,
    heapBefore: before,
    stepMs: Math.round(stepMs),
    tokensPerStep: batchSize * seqLen,
  });
  adapter.dispose();
  model.dispose();
}

// Least squares over the points: heap = fixed + perParameter · parameters.
const n = points.length;
const meanP = points.reduce((s, p) => s + p.parameters, 0) / n;
const meanB = points.reduce((s, p) => s + p.bytes, 0) / n;
const perParameter =
  points.reduce((s, p) => s + (p.parameters - meanP) * (p.bytes - meanB), 0) /
  points.reduce((s, p) => s + (p.parameters - meanP) ** 2, 0);
const fixed = meanB - perParameter * meanP;
emit({
  backend,
  fit: "heapBytes = fixed + perParameter · parameters",
  fixedBytes: Math.round(fixed),
  bytesPerParameter: Number(perParameter.toFixed(2)),
  heapMaxBytes: WASM_HEAP_MAX_BYTES,
  largestParameters: Math.floor((WASM_HEAP_MAX_BYTES - fixed) / perParameter),
});
