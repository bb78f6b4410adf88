// Gaussian noise for the Gaussian mechanism, drawn from an injected Rng (a CSPRNG in production), with snapping to a power-of-two grid.
//
// Floating-point caveat (Mironov, "On significance of the least significant bits for differential
// privacy", CCS 2012): a textbook float sampler reaches only some doubles, and which ones it reaches
// near x + noise depends on x, so the low bits of a released value can reveal x outright. What we do:
//  1. Uniforms carry 53 random bits (Rng.nextFloat64) and Box–Muller takes 1 − u ∈ (0, 1], so no log(0)
//     and no gaps from a 32-bit uniform; the largest reachable |z| is √(2·53·ln 2) ≈ 8.57σ. The tail mass
//     cut off there (< 1e-17) is not in the accountant's δ; it is negligible beside any δ we accept.
//  2. The noised value is rounded to a grid Λ = 2^(⌊log₂ σ⌋ − 12) (Mironov's "snapping", §5.2, without
//     his clamp). The gaps between the sampler's reachable outputs are at most ~2^-26·σ wide (the widest
//     sit near 0, from the 2^-53 step of 1 − u), far below Λ, so every grid point in range stays
//     reachable whatever the input; rounding after the noise is post-processing and costs no privacy.
//     Outputs up to 2^24·Λ = 4096σ stay exact in float32.
// Residual risk, stated plainly: snapping is proven in Mironov 2012 for the Laplace mechanism with a
// clamp and a grid as coarse as the noise scale; for this Gaussian with a fine grid we rely on the
// argument above, not a proof. The exact alternative is the discrete Gaussian of Canonne, Kamath &
// Steinke (NeurIPS 2020) on an integer grid, which fedtune does not implement yet.
import type { Rng } from "../rng.ts";
import { ParameterError } from "../errors.ts";

/** Grid bits below the noise scale: rounding error ≤ 2^-13·σ, invisible next to σ itself. */
const SNAP_BITS_BELOW_SIGMA = 12;

/** Λ = 2^(⌊log₂ σ⌋ − 12), the snapping grid for noise of standard deviation σ > 0. */
export function snapGrid(stddev: number): number {
  return 2 ** (Math.floor(Math.log2(stddev)) - SNAP_BITS_BELOW_SIGMA);
}

function checkStddev(stddev: number): void {
  if (!(stddev >= 0) || !Number.isFinite(stddev))
    throw new ParameterError(`noise standard deviation must be finite and ≥ 0, got ${stddev}`);
}

/** `count` independent N(0, σ²) draws by Box–Muller over 53-bit uniforms (Box & Muller 1958). */
export function sampleGaussian(rng: Rng, count: number, stddev: number): Float64Array {
  checkStddev(stddev);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - rng.nextFloat64();
    const u2 = rng.nextFloat64();
    const radius = stddev * Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    out[i] = radius * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/** update + N(0, σ²·I), snapped to the grid {@link snapGrid}(σ); returns a new array. σ = 0 returns a copy. */
export function addGaussianNoise(update: Float32Array, stddev: number, rng: Rng): Float32Array {
  checkStddev(stddev);
  if (stddev === 0) return Float32Array.from(update);
  const noise = sampleGaussian(rng, update.length, stddev);
  const grid = snapGrid(stddev);
  const out = new Float32Array(update.length);
  for (let i = 0; i < update.length; i++) {
    out[i] = Math.round(((update[i] ?? 0) + (noise[i] ?? 0)) / grid) * grid;
  }
  noise.fill(0);
  return out;
}
