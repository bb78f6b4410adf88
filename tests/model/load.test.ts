// loadBaseModel: an HF folder on disk (config, sharded weights, tokenizer) with a stable weights hash.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLlamaConfig, toHfConfig } from "../../model/config.ts";
import { randomLlamaWeights } from "../../model/llama.ts";
import { BUILTIN_MODEL_DIR, hashBaseModel, loadBaseModel, resolveModelDir } from "../../model/load.ts";
import { loadTokenizer } from "../../model/tokenizer.ts";
import { writeCheckpointFolder } from "../../model/safetensors.ts";
import { silentLogger, startBackend } from "./helpers.ts";

const TOKENIZER = join(
  import.meta.dirname,
  "..",
  "vectors",
  "hf-transformers",
  "tokenizers",
  "byte-level",
  "tokenizer.json",
);

describe("loadBaseModel", () => {
  let dir: string;
  beforeAll(async () => {
    await startBackend();
    dir = await mkdtemp(join(tmpdir(), "fedtune-load-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  async function makeFolder(name: string, seed: number): Promise<string> {
    const folder = join(dir, name);
    await mkdir(folder);
    await copyFile(TOKENIZER, join(folder, "tokenizer.json"));
    const vocabSize = (await loadTokenizer(folder)).vocabSize;
    const config = parseLlamaConfig({
      hidden_size: 16,
      intermediate_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      vocab_size: vocabSize,
      tie_word_embeddings: true,
    });
    await writeFile(join(folder, "config.json"), JSON.stringify(toHfConfig(config)));
    await writeCheckpointFolder(folder, randomLlamaWeights(config, seed), { maxShardBytes: 4096 });
    return folder;
  }

  it("loads config, sharded weights and tokenizer, and hashes the weights stably", async () => {
    const folder = await makeFolder("a", 1);
    const first = await loadBaseModel(folder, silentLogger);
    const again = await loadBaseModel(folder, silentLogger);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(again.hash).toBe(first.hash);
    expect(await hashBaseModel(folder)).toBe(first.hash);
    expect(first.dir).toBe(folder);
    const ids = first.tokenizer.encode("fever and cough");
    expect(ids.length).toBeGreaterThan(0);
    const logits = first.model.forward(tf.tensor2d([ids], [1, ids.length], "int32"));
    expect(logits.shape).toEqual([1, ids.length, first.model.config.vocabSize]);
    tf.dispose(logits);
    const other = await loadBaseModel(await makeFolder("b", 2), silentLogger);
    expect(other.hash).not.toBe(first.hash);
    for (const loaded of [first, again, other]) loaded.model.dispose();
  });

  it("names the missing folder, and resolves builtin next to the module", async () => {
    await expect(loadBaseModel(join(dir, "nope"), silentLogger)).rejects.toThrow(/nope does not exist/);
    expect(resolveModelDir("builtin")).toBe(BUILTIN_MODEL_DIR);
    expect(BUILTIN_MODEL_DIR.endsWith(join("model", "builtin"))).toBe(true);
  });
});
