// Model shapes and LoRA settings the benchmarks share.
import { parseLlamaConfig } from "../model/config.ts";
import type { LoraSettings } from "../proto/messages.ts";

/** ~30M parameters: 8 layers, hidden 512, GQA 8/4 heads, SwiGLU 1408, vocabulary 8000, untied head. */
export const LLAMA_30M_CONFIG = parseLlamaConfig({
  hidden_size: 512,
  intermediate_size: 1408,
  num_hidden_layers: 8,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  vocab_size: 8000,
  max_position_embeddings: 1024,
});

/** FFA-LoRA r = 8 on q_proj and v_proj, no dropout. */
export const BENCH_LORA: LoraSettings = {
  r: 8,
  alpha: 16,
  dropout: 0,
  targetModules: ["q_proj", "v_proj"],
  mode: "ffa",
  seed: 1,
};
