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

/**
 * Entries of a noise share beyond this many standard deviations may be clipped by the codec: each is
 * clipped with probability 2Φ(−10) ≈ 1.5·10⁻²³, so a run with d·n·rounds < 10¹³ encoded entries clips
 * none with probability 1 − 10⁻¹⁰, an event far below any δ a ledger accepts.
 */
export const NOISE_TAIL_STDDEVS = 10;

/**
 * The per-entry range a fixed-point codec must cover for a privatized update: an entry of an L2-clipped
 * update is at most C, plus its noise share's tail. A codec clipped at C instead (as one sized for the
 * update alone is) clips the noise shares, and the sum then carries less noise than the ledger charges
 * (issue 18 §4: z = 2, C = 1, two sites gave std 1.13, not 2).
 */
export function privatizedEntryBound(config: DistributedNoiseConfig): number {
  return config.clipNorm + NOISE_TAIL_STDDEVS * distributedNoiseStddev(config);
}

/**
 * The per-entry range of a protected vector's fixed-point codec: the update's entries (each at most its
 * L2 bound `clipNorm`), the weight entry w ≤ 1, and under client-level DP the noise shares' tails
 * ({@link privatizedEntryBound}). The codec's headroom then covers this range for every summand.
 */
export function protectedEntryRange(clipNorm: number, noise: DistributedNoiseConfig | undefined): number {
  return Math.max(noise === undefined ? clipNorm : privatizedEntryBound(noise), 1);
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
