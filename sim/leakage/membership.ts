// Membership inference by loss threshold (Yeom, Giacomelli, Fredrikson & Jha, "Privacy Risk in Machine
// Learning", CSF 2018): a record whose loss is low is guessed to be a training member. Its ROC AUC over
// every threshold is reported: 0.5 is chance, 1 is a perfect attack.
import type { TokenizedExample } from "../../client/data/prompt-format.ts";
import type { CausalLm } from "../../client/eval/causal-lm.ts";
import { scoreSequences } from "../../client/eval/score.ts";
import type { EvalTokenizer } from "../evaluate.ts";

/**
 * ROC AUC of a score that should be higher for members: Pr[score(member) > score(non-member)] +
 * ½·Pr[tie], the Mann–Whitney U statistic over all pairs (Hanley & McNeil 1982), by sorting.
 */
export function rocAuc(memberScores: readonly number[], nonMemberScores: readonly number[]): number {
  if (memberScores.length === 0 || nonMemberScores.length === 0)
    throw new RangeError("the AUC needs at least one member and one non-member");
  const all = [
    ...memberScores.map((score) => ({ score, member: true })),
    ...nonMemberScores.map((score) => ({ score, member: false })),
  ];
  if (all.some((x) => Number.isNaN(x.score))) throw new RangeError("a membership score is NaN");
  all.sort((a, b) => a.score - b.score);
  // Members' summed mid-ranks (1-based; tied scores share the mean of their ranks).
  let memberRankSum = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.score === all[i]!.score) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.member) memberRankSum += midRank;
    i = j;
  }
  const m = memberScores.length;
  const n = nonMemberScores.length;
  return (memberRankSum - (m * (m + 1)) / 2) / (m * n);
}

export interface MembershipFigures {
  /** ROC AUC of the loss-threshold attack. */
  readonly auc: number;
  readonly members: number;
  readonly nonMembers: number;
  /** Mean per-token NLL of the members and of the held-out rows. */
  readonly memberLoss: number;
  readonly nonMemberLoss: number;
}

/** Each example's mean NLL over its scored tokens (the loss training took on it). */
export function exampleLosses(
  lm: CausalLm,
  tokenizer: EvalTokenizer,
  examples: readonly TokenizedExample[],
  batchSize: number,
): number[] {
  return scoreSequences(lm, examples, batchSize, tokenizer.padId).map((s) =>
    s.tokens > 0 ? -s.logLikelihood / s.tokens : Number.NaN,
  );
}

const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

/** The attack on one site's training rows against held-out rows of the same distribution. */
export function lossThresholdAttack(
  lm: CausalLm,
  tokenizer: EvalTokenizer,
  members: readonly TokenizedExample[],
  nonMembers: readonly TokenizedExample[],
  batchSize: number,
): MembershipFigures {
  // A row with no scored token (its targets cut off by the sequence length) has no loss to threshold.
  const scored = (losses: readonly number[]): number[] => losses.filter((l) => Number.isFinite(l));
  const memberLosses = scored(exampleLosses(lm, tokenizer, members, batchSize));
  const nonMemberLosses = scored(exampleLosses(lm, tokenizer, nonMembers, batchSize));
  return {
    auc: rocAuc(
      memberLosses.map((l) => -l),
      nonMemberLosses.map((l) => -l),
    ),
    members: memberLosses.length,
    nonMembers: nonMemberLosses.length,
    memberLoss: mean(memberLosses),
    nonMemberLoss: mean(nonMemberLosses),
  };
}
