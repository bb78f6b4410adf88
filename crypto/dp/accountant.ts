// The RDP accountant: default orders, composition of heterogeneous subsampled-Gaussian steps, ε for a plan, and the noise search.
import { epsilonFromRdp, type EpsilonAtOrder, type RdpConversion } from "./conversion.ts";
import { ParameterError } from "../errors.ts";
import { rdpPoissonSubsampledGaussian } from "./rdp.ts";

/**
 * dp_accounting's `DEFAULT_RDP_ORDERS` (rdp_privacy_accountant.py since 2023):
 * [1 + x/10 for x in 1..99] + [11..63] + [128, 256, 512, 1024]. Computed the same way as in Python so that
 * fractional orders hit identical doubles (and 2.0, 3.0, … take the integer path, as there).
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 53 }, (_, i) => 11 + i),
  128,
  256,
  512,
  1024,
]);

/** One block of `steps` identical DP-SGD / DP-FedAvg steps. */
export interface GaussianSteps {
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly steps: number;
}

/** Accumulated RDP at fixed orders: a plain value, composed by {@link composeRdp}. */
export interface RdpState {
  readonly orders: readonly number[];
  readonly rdp: readonly number[];
}

export function emptyRdp(orders: readonly number[] = DEFAULT_RDP_ORDERS): RdpState {
  return { orders: [...orders], rdp: orders.map(() => 0) };
}

/** Adds a block of steps with its own q and z: RDP composes by summation at each order (Mironov 2017, Prop. 1). */
export function composeRdp(state: RdpState, block: GaussianSteps): RdpState {
  const added = rdpPoissonSubsampledGaussian(
    block.samplingRate,
    block.noiseMultiplier,
    block.steps,
    state.orders,
  );
  return { orders: state.orders, rdp: state.rdp.map((r, i) => r + (added[i] ?? 0)) };
}

export function epsilonOf(
  state: RdpState,
  delta: number,
  conversion: RdpConversion = "balle2020",
): EpsilonAtOrder {
  return epsilonFromRdp(state.orders, state.rdp, delta, conversion);
}

export interface EpsilonQuery {
  readonly blocks: readonly GaussianSteps[];
  readonly delta: number;
  readonly orders?: readonly number[];
  readonly conversion?: RdpConversion;
}

/** ε spent by a sequence of step blocks (possibly with different q and z) at the given δ. */
export function computeEpsilon(query: EpsilonQuery): EpsilonAtOrder {
  let state = emptyRdp(query.orders);
  for (const block of query.blocks) state = composeRdp(state, block);
  return epsilonOf(state, query.delta, query.conversion);
}

export interface NoiseQuery {
  readonly targetEpsilon: number;
  readonly samplingRate: number;
  readonly steps: number;
  readonly delta: number;
  readonly orders?: readonly number[];
  readonly conversion?: RdpConversion;
  /** Absolute tolerance on the noise multiplier; the answer z satisfies z_min ≤ z ≤ z_min + tolerance. */
  readonly tolerance?: number;
}

export interface NoiseAnswer {
  readonly noiseMultiplier: number;
  /** ε actually spent with that noise multiplier: always ≤ the target. */
  readonly epsilon: number;
  readonly order: number;
  readonly tolerance: number;
}

export const DEFAULT_NOISE_TOLERANCE = 1e-4;
const MAX_NOISE_MULTIPLIER = 1e6;

/**
 * The smallest noise multiplier whose ε meets the target, by bisection on z (ε is decreasing in z).
 * The upper end always meets the target, so the answer errs on the private side by at most `tolerance`.
 */
export function computeNoiseMultiplier(query: NoiseQuery): NoiseAnswer {
  const tolerance = query.tolerance ?? DEFAULT_NOISE_TOLERANCE;
  if (!(query.targetEpsilon > 0))
    throw new ParameterError(`target epsilon must be > 0, got ${query.targetEpsilon}`);
  if (!(tolerance > 0)) throw new ParameterError(`tolerance must be > 0, got ${tolerance}`);
  const epsilonFor = (noiseMultiplier: number): EpsilonAtOrder =>
    computeEpsilon({
      blocks: [{ samplingRate: query.samplingRate, noiseMultiplier, steps: query.steps }],
      delta: query.delta,
      ...(query.orders === undefined ? {} : { orders: query.orders }),
      ...(query.conversion === undefined ? {} : { conversion: query.conversion }),
    });
  let low = 0;
  let high = 1;
  let atHigh = epsilonFor(high);
  while (atHigh.epsilon > query.targetEpsilon) {
    low = high;
    high *= 2;
    if (high > MAX_NOISE_MULTIPLIER)
      throw new ParameterError(
        `no noise multiplier up to ${MAX_NOISE_MULTIPLIER} meets ε = ${query.targetEpsilon}`,
      );
    atHigh = epsilonFor(high);
  }
  while (high - low > tolerance) {
    const mid = (low + high) / 2;
    const atMid = epsilonFor(mid);
    if (atMid.epsilon <= query.targetEpsilon) {
      high = mid;
      atHigh = atMid;
    } else {
      low = mid;
    }
  }
  return { noiseMultiplier: high, epsilon: atHigh.epsilon, order: atHigh.order, tolerance };
}
