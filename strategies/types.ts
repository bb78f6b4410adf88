// The Strategy interface: pure functions over Float32Array from (global, aggregate, state) to the next ones.
import type { StrategyInput, StrategyName } from "./config.ts";

/** One site's update Δ_k (the change to the trainable weights, NOT pre-multiplied) and its weight n_k. */
export interface WeightedUpdate {
  readonly delta: Float32Array;
  readonly weight: number;
}

/**
 * What secure aggregation reveals: Σ n_k·Δ_k and Σ n_k over the surviving sites (ARCHITECTURE.md,
 * "Weighted averaging keeps the weights private too"). `contributors` is the number of sites summed.
 */
export interface WeightedSum {
  readonly weightedSum: Float32Array;
  readonly totalWeight: number;
  readonly contributors: number;
}

/** Server optimizer state carried from round to round (momentum, second moment), serialisable. */
export interface StrategyState {
  readonly strategy: StrategyName;
  /** Rounds applied so far. */
  readonly step: number;
  readonly buffers: Readonly<Record<string, Float32Array>>;
}

export interface StrategyStep {
  readonly global: Float32Array;
  readonly state: StrategyState;
}

interface StrategyBase {
  readonly name: StrategyName;
  /** State before the first round for a model with `dimension` trainable parameters. */
  initialState(dimension: number): StrategyState;
}

/** Works from the sum alone, so it composes with secure aggregation. */
export interface SumStrategy extends StrategyBase {
  readonly input: Exclude<StrategyInput, "individual">;
  apply(global: Float32Array, aggregate: WeightedSum, state: StrategyState): StrategyStep;
}

/** Needs every site's update (robust aggregation): privacy mode none only. */
export interface IndividualStrategy extends StrategyBase {
  readonly input: "individual";
  apply(global: Float32Array, updates: readonly WeightedUpdate[], state: StrategyState): StrategyStep;
}

export type Strategy = SumStrategy | IndividualStrategy;

export type StrategyErrorCode =
  "dimension-mismatch" | "no-weight" | "not-finite" | "too-few-updates" | "bad-state";

/** Input a strategy cannot aggregate; the round is abandoned and nothing is written. */
export class StrategyError extends Error {
  override readonly name = "StrategyError";
  constructor(
    readonly code: StrategyErrorCode,
    message: string,
  ) {
    super(message);
  }
}
