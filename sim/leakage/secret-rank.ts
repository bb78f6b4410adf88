// Where a model ranks a secret among every candidate of its format, by log-likelihood of the text
// that carries it: the probe behind canary exposure, reusable for any fixed-format secret (e.g. PHI).
import type { Rng } from "../../crypto/rng.ts";
import { uniformBelow } from "../../crypto/rng.ts";
import { tokenizeRow } from "../../client/data/prompt-format.ts";
import type { CausalLm } from "../../client/eval/causal-lm.ts";
import { scoreSequences } from "../../client/eval/score.ts";
import type { EvalTokenizer } from "../evaluate.ts";
import { exposureFromRank, extrapolatedExposure, secretRank } from "./exposure.ts";

/** A secret inside its context, e.g. prefix "… record number ", secret "4829", suffix "." */
export interface SecretInContext {
  readonly prefix: string;
  readonly secret: string;
  readonly suffix: string;
}

/** Secrets of fixed length over an alphabet (e.g. 4 digits: "0123456789", 4): |alphabet|^length candidates. */
export interface SecretFormat {
  readonly alphabet: string;
  readonly length: number;
}

export interface RankOptions {
  /** Enumerate the whole space up to this many candidates; past it, sample and extrapolate. */
  readonly maxEnumerated: number;
  /** Candidates sampled for the extrapolation. */
  readonly sampled: number;
  /** Sequences per forward pass. */
  readonly batchSize: number;
  readonly seqLen: number;
}

export interface SecretRanking {
  /** Exact rank (1 = most likely); null when the space was sampled. */
  readonly rank: number | null;
  readonly candidates: number;
  /** log₂ candidates − log₂ rank, or its skew-normal extrapolation (Carlini et al. 2019). */
  readonly exposure: number;
  readonly method: "exact" | "extrapolated";
}

export function candidateCount(format: SecretFormat): number {
  return format.alphabet.length ** format.length;
}

/** The i-th candidate in the space's lexicographic order (base-|alphabet| digits of i). */
export function candidateAt(format: SecretFormat, index: number): string {
  let rest = index;
  const chars: string[] = [];
  for (let k = 0; k < format.length; k++) {
    chars.push(format.alphabet[rest % format.alphabet.length] ?? "");
    rest = Math.floor(rest / format.alphabet.length);
  }
  return chars.reverse().join("");
}

export function checkSecretFormat(format: SecretFormat, secret: string): void {
  if (secret.length !== format.length || [...secret].some((c) => !format.alphabet.includes(c)))
    throw new RangeError(`secret "${secret}" is not ${format.length} characters from "${format.alphabet}"`);
}

/** Σ log p over every token of each text (BOS … EOS): the negative of the paper's log-perplexity. */
export function textLogLikelihoods(
  lm: CausalLm,
  tokenizer: EvalTokenizer,
  texts: readonly string[],
  options: Pick<RankOptions, "batchSize" | "seqLen">,
): number[] {
  const tokenized = texts.map((text) => tokenizeRow({ kind: "text", text }, tokenizer, options.seqLen));
  return scoreSequences(lm, tokenized, options.batchSize, tokenizer.padId).map((s) => s.logLikelihood);
}

/**
 * Ranks the secret among every candidate of `format` in the same context (exact), or, for a space
 * larger than `maxEnumerated`, estimates its exposure from `sampled` random candidates (§4.3).
 */
export function rankSecret(
  lm: CausalLm,
  tokenizer: EvalTokenizer,
  probe: SecretInContext,
  format: SecretFormat,
  options: RankOptions,
  rng: Rng,
): SecretRanking {
  checkSecretFormat(format, probe.secret);
  const total = candidateCount(format);
  const inContext = (s: string): string => `${probe.prefix}${s}${probe.suffix}`;
  const [secretLl] = textLogLikelihoods(lm, tokenizer, [inContext(probe.secret)], options);
  if (secretLl === undefined) throw new Error("no score for the secret");
  if (total <= options.maxEnumerated) {
    const texts = Array.from({ length: total }, (_, i) => inContext(candidateAt(format, i)));
    const rank = secretRank(secretLl, textLogLikelihoods(lm, tokenizer, texts, options));
    return { rank, candidates: total, exposure: exposureFromRank(rank, total), method: "exact" };
  }
  const texts = Array.from({ length: options.sampled }, () =>
    inContext(candidateAt(format, uniformBelow(rng, total))),
  );
  return {
    rank: null,
    candidates: total,
    exposure: extrapolatedExposure(secretLl, textLogLikelihoods(lm, tokenizer, texts, options), total),
    method: "extrapolated",
  };
}
