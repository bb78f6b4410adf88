// Scores an adapter on multiple-choice sets: accuracy by option log-likelihood, loss as the NLL of the right answer.
import type { MultipleChoiceRow } from "../client/data/rows.ts";
import type { PromptTokenizer, TokenizedExample } from "../client/data/prompt-format.ts";
import { tokenizeRow } from "../client/data/prompt-format.ts";
import type { CausalLm } from "../client/eval/causal-lm.ts";
import { evaluateMultipleChoice } from "../client/eval/multiple-choice.ts";
import { evaluatePerplexity } from "../client/eval/perplexity.ts";
import type { EvalFigures } from "./report/metrics.ts";

export type EvalTokenizer = PromptTokenizer & { readonly padId: number };

/** Rows ready to score: the questions, and each question with its right answer tokenized for the loss. */
export interface EvalSet {
  readonly rows: readonly MultipleChoiceRow[];
  readonly answers: readonly TokenizedExample[];
}

export function prepareEvalSet(
  rows: readonly MultipleChoiceRow[],
  tokenizer: EvalTokenizer,
  seqLen: number,
): EvalSet {
  return { rows, answers: rows.map((row) => tokenizeRow(row, tokenizer, seqLen)) };
}

export interface EvalSettings {
  readonly batchSize: number;
  readonly seqLen: number;
}

export function evaluateSet(
  lm: CausalLm,
  tokenizer: EvalTokenizer,
  set: EvalSet,
  settings: EvalSettings,
): EvalFigures {
  const mcq = evaluateMultipleChoice(lm, set.rows, tokenizer, settings);
  const nll = evaluatePerplexity(lm, set.answers, { batchSize: settings.batchSize, padId: tokenizer.padId });
  return { accuracy: mcq.accuracy, loss: nll.meanNll };
}
