// FedAvg (McMahan et al. 2017) and FedAvgM (server momentum, Hsu et al. 2019) from the weighted sum alone.
import { checkState, checkSum } from "./checks.ts";
import type { StrategyState, SumStrategy, WeightedSum } from "./types.ts";

/** Δ̄ = Σ n_k·Δ_k / Σ n_k, computed in float64 before rounding once to float32. */
export function weightedMean(aggregate: WeightedSum): Float32Array {
  const mean = new Float32Array(aggregate.weightedSum.length);
  for (let i = 0; i < mean.length; i++) mean[i] = (aggregate.weightedSum[i] ?? 0) / aggregate.totalWeight;
  return mean;
}

/**
 * x_{t+1} = x_t + η·Δ̄_t. With η = 1 this is FedAvg exactly; FedProx uses the same server step
 * (its proximal term μ/2·‖w − x_t‖² lives in the sites' local loss, Li et al. 2020, Alg. 2).
 */
export function fedAvg(name: "fedavg" | "fedprox", serverLearningRate: number): SumStrategy {
  return {
    name,
    input: "sum",
    initialState: () => ({ strategy: name, step: 0, buffers: {} }),
    apply(global, aggregate, state) {
      checkSum(global, aggregate);
      checkState(state, name, [], global.length);
      const mean = weightedMean(aggregate);
      const next = new Float32Array(global.length);
      for (let i = 0; i < next.length; i++) next[i] = (global[i] ?? 0) + serverLearningRate * (mean[i] ?? 0);
      return { global: next, state: { strategy: name, step: state.step + 1, buffers: {} } };
    },
  };
}

/**
 * Server momentum (Hsu et al. 2019, "Measuring the Effects of Non-Identical Data Distribution for
 * Federated Visual Classification", §3): v_t = β·v_{t−1} + Δ̄_t, x_{t+1} = x_t + η·v_t.
 */
export function fedAvgM(serverLearningRate: number, momentum: number): SumStrategy {
  const initialState = (dimension: number): StrategyState => ({
    strategy: "fedavgm",
    step: 0,
    buffers: { velocity: new Float32Array(dimension) },
  });
  return {
    name: "fedavgm",
    input: "plaintext-sum",
    initialState,
    apply(global, aggregate, state) {
      checkSum(global, aggregate);
      checkState(state, "fedavgm", ["velocity"], global.length);
      const previous = state.buffers["velocity"] ?? new Float32Array(global.length);
      const mean = weightedMean(aggregate);
      const velocity = new Float32Array(global.length);
      const next = new Float32Array(global.length);
      for (let i = 0; i < next.length; i++) {
        velocity[i] = momentum * (previous[i] ?? 0) + (mean[i] ?? 0);
        next[i] = (global[i] ?? 0) + serverLearningRate * (velocity[i] ?? 0);
      }
      return { global: next, state: { strategy: "fedavgm", step: state.step + 1, buffers: { velocity } } };
    },
  };
}
