// Client-level DP with noise added at the sites: each of ≥ t survivors adds N(0, z²C²/t), so the protected sum carries N(0, z²C²).
//
// This is how Gaussian noise composes with secure aggregation and HE (the coordinator never sees an
// un-noised sum): the Gaussian is closed under addition, so t shares of variance z²C²/t sum to the
// central mechanism's variance z²C² (Kairouz et al., "The Distributed Discrete Gaussian Mechanism",
// ICML 2021, §3; Truex et al. 2019). Consequences the caller must respect:
//  - Fewer than t survivors leave less than the accounted noise: the round must be refused (SecAgg's
//    threshold already refuses it when t is SecAgg's threshold).
//  - m > t survivors add m/t times the variance: still private, just noisier.
//  - c sites colluding with the coordinator can subtract their own shares; the guarantee holds against
//    them only if t is chosen as (honest survivors), i.e. t ≤ m − c.
import type { Rng } from "../rng.ts";
import { checkClipNorm, clipL2 } from "./clip.ts";
import { addGaussianNoise } from "./gaussian.ts";
import { checkNoiseMultiplier } from "./rdp.ts";
import { ParameterError } from "../errors.ts";

export interface DistributedNoiseConfig {
  /** z: the noise multiplier of the central mechanism the sum must match. */
  readonly noiseMultiplier: number;
  /** C: the L2 bound of one site's update. */
  readonly clipNorm: number;
  /** t: the fewest surviving sites whose shares reach the sum. */
  readonly minSurvivors: number;
}

/** Standard deviation of one site's share: z·C/√t. */
export function distributedNoiseStddev(config: DistributedNoiseConfig): number {
  const { noiseMultiplier, clipNorm, minSurvivors } = config;
  checkNoiseMultiplier(noiseMultiplier);
  checkClipNorm(clipNorm);
  if (!(Number.isSafeInteger(minSurvivors) && minSurvivors >= 1))
    throw new ParameterError(`minSurvivors must be an integer ≥ 1, got ${minSurvivors}`);
  return (noiseMultiplier * clipNorm) / Math.sqrt(minSurvivors);
}

/** What a site sends into the protected sum: its update clipped to C plus its noise share. */
export function privatizeUpdate(
  update: Float32Array,
  config: DistributedNoiseConfig,
  rng: Rng,
): Float32Array {
  const stddev = distributedNoiseStddev(config);
  const { clipped } = clipL2(update, config.clipNorm);
  const noised = addGaussianNoise(clipped, stddev, rng);
  clipped.fill(0);
  return noised;
}
