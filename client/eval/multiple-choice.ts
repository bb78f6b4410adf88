// Multiple-choice accuracy: the option whose tokens are most likely after the question is the model's answer.
import type { PromptTokenizer } from "../data/prompt-format.ts";
import { tokenizeMultipleChoice } from "../data/prompt-format.ts";
import type { MultipleChoiceRow } from "../data/rows.ts";
import type { CausalLm } from "./causal-lm.ts";
import { scoreSequences } from "./score.ts";

/**
 * "sum": Σ log p over the option's tokens (the default, as lm-evaluation-harness's `acc`);
 * "mean": that sum divided by the option's token count (length-normalised, cf. `acc_norm`, which
 * normalises by bytes instead).
 */
export type OptionScoring = "sum" | "mean";

export interface MultipleChoiceResult {
  readonly examples: number;
  readonly correct: number;
  readonly accuracy: number;
  /** The chosen option index per row, in input order. */
  readonly predictions: number[];
}

export interface MultipleChoiceOptions {
  readonly batchSize: number;
  readonly seqLen: number;
  readonly scoring?: OptionScoring;
}

export function evaluateMultipleChoice(
  lm: CausalLm,
  rows: readonly MultipleChoiceRow[],
  tokenizer: PromptTokenizer & { readonly padId: number },
  options: MultipleChoiceOptions,
): MultipleChoiceResult {
  const scoring = options.scoring ?? "sum";
  const choices = rows.map((row) => tokenizeMultipleChoice(row, tokenizer, options.seqLen));
  // One sequence per (row, option): the context unscored, then the option's tokens scored.
  const sequences = choices.flatMap((choice) =>
    choice.options.map((option) => ({
      ids: [...choice.context, ...option],
      lossMask: [...choice.context.map(() => 0), ...option.map(() => 1)],
    })),
  );
  const scores = scoreSequences(lm, sequences, options.batchSize, tokenizer.padId);
  let next = 0;
  let correct = 0;
  const predictions = choices.map((choice) => {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    choice.options.forEach((_, i) => {
      const score = scores[next++]!;
      const value = scoring === "sum" ? score.logLikelihood : score.logLikelihood / Math.max(1, score.tokens);
      if (value > bestScore) {
        bestScore = value;
        best = i;
      }
    });
    if (best === choice.answerIndex) correct += 1;
    return best;
  });
  return {
    examples: rows.length,
    correct,
    accuracy: rows.length > 0 ? correct / rows.length : Number.NaN,
    predictions,
  };
}
