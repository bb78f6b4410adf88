// Noise chosen by the accountant for a target ε: the privacy–utility sweep of `fedtune sim compare`
// and the DP preset name an ε, and the noise multiplier that meets it at every site follows.
import { computeNoiseMultiplier, computeEpsilon } from "../crypto/dp/accountant.ts";
import type { GaussianSteps } from "../crypto/dp/accountant.ts";
import type { SimOptions } from "./options.ts";

/** The sweep's targets; ∞ is the run without DP. */
export const SWEEP_EPSILONS = [1, 3, 8, Number.POSITIVE_INFINITY] as const;

/**
 * The block of Gaussian steps a site's ledger charges over the whole run, before noise: record DP
 * samples lots at q = batch / the site's records for rounds × local steps (client/node/site-client.ts);
 * site DP charges one step per round at q = participants / sites, 1 here (every site takes part).
 */
export function dpStepsOf(
  options: Pick<SimOptions, "dp" | "batchSize" | "rounds" | "localSteps">,
  trainRecords: number,
): Omit<GaussianSteps, "noiseMultiplier"> {
  return options.dp === "site"
    ? { samplingRate: 1, steps: options.rounds }
    : {
        samplingRate: Math.min(1, options.batchSize / Math.max(1, trainRecords)),
        steps: options.rounds * options.localSteps,
      };
}

export interface TargetNoise {
  readonly noiseMultiplier: number;
  /** ε each site will have spent at the end, by the accountant (≤ the target). */
  readonly siteEpsilons: readonly number[];
}

/**
 * The smallest noise multiplier (within the accountant's tolerance) that keeps every site at or below
 * `targetEpsilon`: the smallest site samples its records at the highest rate and binds.
 */
export function noiseForEpsilon(
  options: Pick<SimOptions, "dp" | "batchSize" | "rounds" | "localSteps" | "delta">,
  siteTrainRecords: readonly number[],
  targetEpsilon: number,
): TargetNoise {
  if (options.dp === "none") throw new RangeError("a target ε needs --dp record or site");
  if (siteTrainRecords.length === 0) throw new RangeError("a target ε needs at least one site");
  const smallest = Math.min(...siteTrainRecords);
  const { noiseMultiplier } = computeNoiseMultiplier({
    targetEpsilon,
    ...dpStepsOf(options, smallest),
    delta: options.delta,
  });
  return {
    noiseMultiplier,
    siteEpsilons: siteTrainRecords.map(
      (n) =>
        computeEpsilon({ blocks: [{ ...dpStepsOf(options, n), noiseMultiplier }], delta: options.delta })
          .epsilon,
    ),
  };
}

/** Options with the noise multiplier the accountant picks for `options.targetEpsilon`, when one is set. */
export function withTargetEpsilon(options: SimOptions, siteTrainRecords: readonly number[]): SimOptions {
  if (options.targetEpsilon === undefined || options.dp === "none") return options;
  return {
    ...options,
    noiseMultiplier: noiseForEpsilon(options, siteTrainRecords, options.targetEpsilon).noiseMultiplier,
  };
}
