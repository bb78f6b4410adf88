// Scores an adapter on multiple-choice sets: accuracy by option log-likelihood, loss as the NLL of the right answer.
import type { MultipleChoiceRow } from "../client/data/rows.ts";
import type { PromptTokenizer, TokenizedExample } from "../client/data/prompt-format.ts";
import { tokenizeRow } from "../client/data/prompt-format.ts";
import type { CausalLm } from "../client/eval/causal-lm.ts";
import { evaluateMultipleChoice } from "../client/eval/multiple-choice.ts";
import { evaluatePerplexity } from "../client/eval/perplexity.ts";

export type EvalTokenizer = PromptTokenizer & { readonly padId: number };

/** Accuracy and loss measured on one evaluation set. */
export interface EvalFigures {
  /** Multiple-choice accuracy in [0, 1]. */
  readonly accuracy: number;
  /** Mean token negative log-likelihood of the reference answers. */
  readonly loss: number;
}

/** Rows ready to score: the questions, and each question with its right answer tokenized for the loss. */
export interface EvalSet {
  readonly rows: readonly MultipleChoiceRow[];
  readonly answers: readonly TokenizedExample[];
  /** Tokens per scored sequence (prompts are left-truncated to fit). */
  readonly seqLen: number;
}

export function prepareEvalSet(
  rows: readonly MultipleChoiceRow[],
  tokenizer: EvalTokenizer,
  seqLen: number,
): EvalSet {
  return { rows, answers: rows.map((row) => tokenizeRow(row, tokenizer, seqLen)), seqLen };
}

/** Sequences scored per forward pass. */
export const EVAL_BATCH_SIZE = 16;

export function evaluateSet(lm: CausalLm, tokenizer: EvalTokenizer, set: EvalSet): EvalFigures {
  const mcq = evaluateMultipleChoice(lm, set.rows, tokenizer, {
    batchSize: EVAL_BATCH_SIZE,
    seqLen: set.seqLen,
  });
  const nll = evaluatePerplexity(lm, set.answers, { batchSize: EVAL_BATCH_SIZE, padId: tokenizer.padId });
  return { accuracy: mcq.accuracy, loss: nll.meanNll };
}
