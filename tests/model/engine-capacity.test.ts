// The built-in engine's size limit: a model past the wasm heap is refused before its weights are read, naming the way out.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parameterCount } from "../../model/architecture.ts";
import { parseLlamaConfig } from "../../model/config.ts";
import {
  EngineCapacityError,
  checkEngineCapacity,
  engineParameterLimit,
} from "../../model/engine-capacity.ts";
import { loadBaseModel, readBaseModelConfig } from "../../model/load.ts";
import { silentLogger, startBackend } from "../client/fixtures.ts";

/** Llama 3.2 1B's shape (config.json of meta-llama/Llama-3.2-1B): 1.24B parameters. */
const LLAMA_1B = {
  model_type: "llama",
  hidden_size: 2048,
  intermediate_size: 8192,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 64,
  vocab_size: 128_256,
  tie_word_embeddings: true,
  max_position_embeddings: 131_072,
};

beforeAll(startBackend);

describe("built-in engine capacity", () => {
  it("accepts the built-in model and refuses a 1B model on wasm", async () => {
    expect(() => checkEngineCapacity(parseLlamaConfig(LLAMA_1B), "wasm")).toThrow(EngineCapacityError);
    checkEngineCapacity(await readBaseModelConfig("builtin"), "wasm");
    expect(parameterCount(parseLlamaConfig(LLAMA_1B))).toBeGreaterThan(engineParameterLimit());
  });

  it("refuses before reading weights, naming the 4 GiB limit and the external trainer", async () => {
    // Only config.json: the refusal must come before any weight file is looked for.
    const dir = mkdtempSync(join(tmpdir(), "fedtune-big-model-"));
    writeFileSync(join(dir, "config.json"), JSON.stringify(LLAMA_1B));
    const loading = loadBaseModel(dir, silentLogger);
    await expect(loading).rejects.toThrow(EngineCapacityError);
    await expect(loading).rejects.toThrow(
      /1236M parameters; the built-in engine \(TensorFlow.js wasm, heap limit 4 GiB\) trains models up to about \d+M\. Train this site with an external trainer/,
    );
  });
});
