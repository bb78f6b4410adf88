// Tiny models and data for the client tests: a random LLaMA in memory or as an HF folder with a byte-level tokenizer.
import { copyFile, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { initBackend } from "../../model/backend.ts";
import { parseLlamaConfig, toHfConfig, type LlamaConfig } from "../../model/config.ts";
import { LlamaModel, randomLlamaWeights } from "../../model/llama.ts";
import type { TensorMap } from "../../model/safetensors.ts";
import { serializeSafetensors } from "../../model/safetensors.ts";
import type { Example } from "../../client/data/rows.ts";

export const silentLogger = pino({ level: "silent" });

export async function startBackend(): Promise<void> {
  await initBackend(silentLogger, "wasm");
}

/** 2 layers, hidden 32, GQA (4 query heads, 2 kv heads); `vocab` fits the tokenizer used with it. */
export function tinyConfig(vocab: number): LlamaConfig {
  return parseLlamaConfig({
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: vocab,
    max_position_embeddings: 128,
    bos_token_id: 0,
    eos_token_id: 1,
  });
}

export function tinyModel(vocab: number, seed = 1): LlamaModel {
  const config = tinyConfig(vocab);
  return LlamaModel.fromWeights(config, randomLlamaWeights(config, seed, { std: 0.3 }));
}

/**
 * Weights whose greedy next token is always EOS (id 1): the layers add nothing to the residual stream, every
 * embedding's first coordinate is positive, the final norm keeps only that coordinate, and only EOS's
 * lm_head row reads it.
 */
function stopAtOnce(weights: TensorMap, config: LlamaConfig): TensorMap {
  const hidden = config.hiddenSize;
  for (const [key, tensor] of weights) {
    if (/(o_proj|down_proj|lm_head)\.weight$/.test(key)) tensor.data.fill(0);
    if (key === "model.norm.weight") tensor.data.fill(0);
  }
  const set = (key: string, index: number, value: number): void => {
    const tensor = weights.get(key);
    if (tensor === undefined) throw new Error(`no ${key}`);
    tensor.data[index] = value;
  };
  for (let token = 0; token < config.vocabSize; token++) set("model.embed_tokens.weight", token * hidden, 1);
  set("model.norm.weight", 0, 1);
  set("lm_head.weight", 1 * hidden, 10);
  return weights;
}

/** An HF model folder (config.json, model.safetensors, the byte-level test tokenizer.json) in a temp dir. */
export async function tinyModelFolder(options: { stopsAtOnce?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "fedtune-model-"));
  await mkdir(dir, { recursive: true });
  const config = tinyConfig(400);
  await writeFile(join(dir, "config.json"), JSON.stringify(toHfConfig(config)));
  const weights = randomLlamaWeights(config, 7, { std: 0.1 });
  await writeFile(
    join(dir, "model.safetensors"),
    serializeSafetensors(options.stopsAtOnce === true ? stopAtOnce(weights, config) : weights),
  );
  await copyFile(
    new URL("../vectors/hf-transformers/tokenizers/byte-level/tokenizer.json", import.meta.url),
    join(dir, "tokenizer.json"),
  );
  return dir;
}

/** A learnable task: the answer is a fixed function of the question. */
export function additionRows(count: number): Example[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: "instruction",
    instruction: `${i % 4}+${i % 3}`,
    output: `${(i % 4) + (i % 3)}`,
    source: { file: "sum.jsonl", line: i + 1 },
  }));
}
