// Greedy decoding: repeatedly append the most likely next token until EOS or the token budget.
import * as tf from "@tensorflow/tfjs";
import type { CausalLm } from "./causal-lm.ts";

export interface GenerateOptions {
  readonly maxTokens: number;
  /** Tokens that end generation (not included in the output), e.g. the tokenizer's EOS. */
  readonly stopIds: readonly number[];
  /** The context window: only the last `contextLength` tokens are fed to the model. */
  readonly contextLength: number;
}

/**
 * Returns the generated ids (without the prompt). Each step runs the whole (windowed) prefix, which
 * is simple and exact; the model has no key/value cache.
 */
export function generateGreedy(
  lm: CausalLm,
  promptIds: readonly number[],
  options: GenerateOptions,
): number[] {
  if (promptIds.length === 0) throw new RangeError("generateGreedy: the prompt has no tokens");
  const sequence = [...promptIds];
  const generated: number[] = [];
  const stop = new Set(options.stopIds);
  while (generated.length < options.maxTokens) {
    const window = sequence.slice(Math.max(0, sequence.length - options.contextLength));
    const next = tf.tidy(() => {
      const logits = lm.model.forward(tf.tensor2d(window, [1, window.length], "int32"), lm.adapter);
      return logits
        .slice([0, window.length - 1, 0], [1, 1, -1])
        .reshape([-1])
        .argMax();
    });
    const id = next.dataSync()[0]!;
    next.dispose();
    if (stop.has(id)) break;
    generated.push(id);
    sequence.push(id);
  }
  return generated;
}
