// Mean token negative log-likelihood and perplexity over a dataset's scored tokens.
import type { TokenizedExample } from "../data/prompt-format.ts";
import type { CausalLm } from "./causal-lm.ts";
import { scoreSequences } from "./score.ts";

export interface PerplexityResult {
  readonly examples: number;
  /** Tokens scored: those whose loss mask is 1 (the same tokens training takes its loss on). */
  readonly tokens: number;
  /** Mean over every scored token of every example (not a mean of per-example means). */
  readonly meanNll: number;
  /** exp(meanNll). */
  readonly perplexity: number;
}

export function evaluatePerplexity(
  lm: CausalLm,
  examples: readonly TokenizedExample[],
  options: { readonly batchSize: number; readonly padId: number },
): PerplexityResult {
  const scores = scoreSequences(lm, examples, options.batchSize, options.padId);
  let nll = 0;
  let tokens = 0;
  for (const score of scores) {
    nll -= score.logLikelihood;
    tokens += score.tokens;
  }
  const meanNll = tokens > 0 ? nll / tokens : Number.NaN;
  return { examples: examples.length, tokens, meanNll, perplexity: Math.exp(meanNll) };
}
