// Checks the shipped built-in model folder: files present, under 10 MB, tokenizer consistent with config.json.
import { readFile, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hfWeightShapes } from "../../model/architecture.ts";
import { readLlamaConfig } from "../../model/config.ts";
import { BUILTIN_MODEL_DIR } from "../../model/load.ts";
import { readCheckpointFolder } from "../../model/safetensors.ts";
import { loadTokenizer } from "../../model/tokenizer.ts";

const MAX_FOLDER_BYTES = 10 * 1024 * 1024;

describe("the built-in model folder", () => {
  it("holds an HF model folder of at most 10 MB", async () => {
    const files = await readdir(BUILTIN_MODEL_DIR);
    for (const name of [
      "config.json",
      "generation_config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
      "README.md",
    ]) {
      expect(files).toContain(name);
    }
    let total = 0;
    for (const name of files) total += (await stat(join(BUILTIN_MODEL_DIR, name))).size;
    expect(total).toBeLessThanOrEqual(MAX_FOLDER_BYTES);
  });

  it("has a tokenizer whose vocabulary and special tokens agree with config.json", async () => {
    const [tokenizer, config] = await Promise.all([
      loadTokenizer(BUILTIN_MODEL_DIR),
      readLlamaConfig(join(BUILTIN_MODEL_DIR, "config.json")),
    ]);
    expect(tokenizer.vocabSize).toBe(config.vocabSize);
    expect([tokenizer.bosId, tokenizer.padId]).toEqual([config.bosTokenId, config.padTokenId]);
    expect(config.eosTokenIds).toEqual([tokenizer.eosId]);
    const generation = JSON.parse(
      await readFile(join(BUILTIN_MODEL_DIR, "generation_config.json"), "utf8"),
    ) as Record<string, unknown>;
    expect(generation).toMatchObject({ bos_token_id: tokenizer.bosId, eos_token_id: tokenizer.eosId });
  });

  it("round-trips clinical text and keeps common clinical words short", async () => {
    const tokenizer = await loadTokenizer(BUILTIN_MODEL_DIR);
    const note =
      "S: 67-year-old man, c/o crushing central chest pain x2h. PMH HTN, DM.\n" +
      "O: HR 110, BP 92/60, RR 24, T 38.4, SpO2 91%. Troponin 1200 (high).\n" +
      "### Instruction:\nGive the most likely diagnosis.\n\n### Response:\nmyocardial infarction";
    expect(tokenizer.decode(tokenizer.encode(note))).toBe(note);
    for (const word of [" chest", " pain", " fever", " cough", " treatment"])
      expect(tokenizer.encode(word)).toHaveLength(1);
  });

  it("stores one float32 tensor per weight of its config, with tied embeddings", async () => {
    const config = await readLlamaConfig(join(BUILTIN_MODEL_DIR, "config.json"));
    const { tensors, dtypes } = await readCheckpointFolder(BUILTIN_MODEL_DIR);
    const expected = hfWeightShapes(config);
    expect(config.tieWordEmbeddings).toBe(true);
    expect([...tensors.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, shape] of expected) expect(tensors.get(name)?.shape).toEqual(shape);
    expect(new Set(dtypes.values())).toEqual(new Set(["F32"]));
  });
});
