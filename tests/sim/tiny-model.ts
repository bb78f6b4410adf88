// A randomly initialised LLaMA folder for simulation tests: trains in milliseconds, tokenizer trained on the clinical corpus.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { trainByteLevelBpe, writeTokenizerFiles } from "../../model/bpe-trainer.ts";
import { parseLlamaConfig, toHfConfig } from "../../model/config.ts";
import { randomLlamaWeights } from "../../model/llama.ts";
import { writeSafetensors } from "../../model/safetensors.ts";
import { generatePretrainingCorpus } from "../../sim/clinical/corpus.ts";

/**
 * A randomly initialised LLaMA small enough to train in milliseconds, with a tokenizer trained on
 * the clinical corpus; `maxPositions` makes room for longer notes (e.g. `--phi`'s).
 */
export async function writeTinyModel(dir: string, maxPositions = 320): Promise<void> {
  const tokenizer = trainByteLevelBpe(generatePretrainingCorpus(1, 40_000), {
    vocabSize: 400,
    specialTokens: { bos: "<s>", eos: "</s>", pad: "<pad>" },
    modelMaxLength: maxPositions,
  });
  await writeTokenizerFiles(dir, tokenizer);
  const config = parseLlamaConfig({
    model_type: "llama",
    vocab_size: 400,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    rms_norm_eps: 1e-5,
    rope_theta: 10_000,
    tie_word_embeddings: true,
    max_position_embeddings: maxPositions,
  });
  await writeSafetensors(join(dir, "model.safetensors"), randomLlamaWeights(config, 7));
  await writeFile(join(dir, "config.json"), JSON.stringify(toHfConfig(config)));
}
