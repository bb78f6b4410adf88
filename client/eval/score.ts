// Log-likelihood of the scored tokens of each sequence under a model (and adapter), in padded batches.
import * as tf from "@tensorflow/tfjs";
import type { TokenizedExample } from "../data/prompt-format.ts";
import { padBatch } from "../training/batches.ts";
import { batchTensors, targetLogProbs } from "../training/loss.ts";
import type { CausalLm } from "./causal-lm.ts";

export interface SequenceScore {
  /** Σ log p(token | prefix) over the tokens whose loss mask is 1. */
  readonly logLikelihood: number;
  /** How many tokens were scored. */
  readonly tokens: number;
}

/**
 * Scores every example, in its input order. Examples are grouped by length so that batches carry
 * little padding; right padding does not change the real tokens' logits (causal attention).
 */
export function scoreSequences(
  lm: CausalLm,
  examples: readonly TokenizedExample[],
  batchSize: number,
  padId: number,
): SequenceScore[] {
  const order = examples.map((_, i) => i).sort((a, b) => examples[a]!.ids.length - examples[b]!.ids.length);
  const scores: SequenceScore[] = new Array<SequenceScore>(examples.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const batch = padBatch(
      indices.map((i) => examples[i]!),
      padId,
    );
    const perRow = tf.tidy(() => {
      const { inputIds, targets, mask } = batchTensors(batch);
      const logits = lm.model.forward(inputIds, lm.adapter);
      return targetLogProbs(logits, targets).mul(mask).sum(1);
    });
    const values = perRow.dataSync();
    perRow.dispose();
    indices.forEach((exampleIndex, row) => {
      let tokens = 0;
      for (let t = 0; t < batch.length; t++) tokens += batch.mask[row * batch.length + t]!;
      scores[exampleIndex] = { logLikelihood: values[row]!, tokens };
    });
  }
  return scores;
}
