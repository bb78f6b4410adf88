// Shared fixtures for the model tests: a silent logger, backend start-up and tiny configs.
import { pino } from "pino";
import { initBackend } from "../../model/backend.ts";
import { parseLlamaConfig, type HfLlamaConfig, type LlamaConfig } from "../../model/config.ts";

export const silentLogger = pino({ level: "silent" });

export async function startBackend(): Promise<void> {
  await initBackend(silentLogger);
}

export function tinyConfig(overrides: Partial<HfLlamaConfig> = {}): LlamaConfig {
  return parseLlamaConfig({
    model_type: "llama",
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 4,
    vocab_size: 23,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: false,
    max_position_embeddings: 64,
    ...overrides,
  });
}

export function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} vs ${expected.length}`);
  let max = 0;
  for (let i = 0; i < actual.length; i++)
    max = Math.max(max, Math.abs((actual[i] ?? 0) - (expected[i] ?? 0)));
  return max;
}
