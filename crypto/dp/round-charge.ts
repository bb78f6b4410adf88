// What a site's ledger charges for one round it takes part in, so that ε holds against the coordinator (issue 18 §3).
//
// Client-level DP (noise added at the sites): the coordinator picks the participants and knows the
// roster, so the amplification by subsampling (the q < 1 of Poisson-subsampled Gaussian accounting)
// does not hold against it: a site charges each round it takes part in as one full Gaussian step,
// q = 1 (the subsampled bound of McMahan et al., ICLR 2018, assumes participants drawn at random
// with probability q, unknown to the adversary). The rounds a site sat out are not charged: its data was not used in them. The ε
// this gives is an upper bound against every observer, the coordinator included.
//
// Record-level DP (DP-SGD at a site): the lots are Poisson samples drawn at the site with its own
// CSPRNG (client/training/dp-sgd.ts), which the coordinator never sees, so q = batchSize / examples
// applies; the site computes it from its own count, never from a figure the task carries.
import { ParameterError } from "../errors.ts";
import { checkNoiseMultiplier } from "./rdp.ts";
import type { LedgerEntry } from "./ledger.ts";

/** One participated round of client-level DP-FedAvg: one Gaussian step at q = 1. */
export function siteLevelRoundCharge(label: string, noiseMultiplier: number): LedgerEntry {
  checkNoiseMultiplier(noiseMultiplier);
  return { label, samplingRate: 1, noiseMultiplier, steps: 1 };
}

export interface RecordLevelRound {
  readonly label: string;
  readonly noiseMultiplier: number;
  /** Expected lot size (the task's batch size). */
  readonly batchSize: number;
  /** The site's own number of training examples: the population its Poisson lots are drawn from. */
  readonly trainExamples: number;
  /** DP-SGD steps the trainer will run this round (an epoch's worth when the task gives no step count). */
  readonly steps: number;
}

/** One round of DP-SGD at the site: `steps` steps at q = min(1, batchSize / trainExamples). */
export function recordLevelRoundCharge(round: RecordLevelRound): LedgerEntry {
  const { label, noiseMultiplier, batchSize, trainExamples, steps } = round;
  checkNoiseMultiplier(noiseMultiplier);
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new ParameterError(`batch size must be an integer ≥ 1, got ${batchSize}`);
  if (!Number.isSafeInteger(trainExamples) || trainExamples < 1)
    throw new ParameterError(`a DP-SGD round needs at least one training example, got ${trainExamples}`);
  if (!Number.isSafeInteger(steps) || steps < 1)
    throw new ParameterError(`DP-SGD steps must be an integer ≥ 1, got ${steps}`);
  return { label, samplingRate: Math.min(1, batchSize / trainExamples), noiseMultiplier, steps };
}

/**
 * Whether a site takes part in a round: a site with its own ε cap declines any round that asks for
 * no DP (or noise multiplier 0), since such a round's ε is unbounded and no ledger could charge it.
 */
export function siteAcceptsPrivacy(siteEpsilonCap: number | undefined, noiseMultiplier: number): boolean {
  return siteEpsilonCap === undefined || noiseMultiplier > 0;
}
