// FedAdagrad, FedAdam and FedYogi: server-side adaptive optimizers over the averaged update.
// Reddi et al. 2021, "Adaptive Federated Optimization" (ICLR), Algorithm 2.
import type { StrategyConfig } from "./config.ts";
import { checkState, checkSum } from "./checks.ts";
import { weightedMean } from "./fedavg.ts";
import type { StrategyState, SumStrategy } from "./types.ts";

type AdaptiveConfig = Extract<StrategyConfig, { name: "fedadagrad" | "fedadam" | "fedyogi" }>;

const BUFFERS = ["firstMoment", "secondMoment"] as const;

/**
 * With Δ_t the weighted mean of the sites' updates (Alg. 2, line 9), per coordinate:
 *   m_t = β1·m_{t−1} + (1 − β1)·Δ_t                                  (line 10)
 *   FedAdagrad: v_t = v_{t−1} + Δ_t²                                 (line 11)
 *   FedYogi:    v_t = v_{t−1} − (1 − β2)·Δ_t²·sign(v_{t−1} − Δ_t²)   (line 12)
 *   FedAdam:    v_t = β2·v_{t−1} + (1 − β2)·Δ_t²                     (line 13)
 *   x_{t+1} = x_t + η·m_t / (√v_t + τ)                               (line 14)
 * Initialisation as in the algorithm's header: m_{−1} = 0 and v_{−1} = τ² (it asks v_{−1} ≥ τ²).
 * No bias correction: the paper's algorithm has none.
 */
export function adaptiveStrategy(config: AdaptiveConfig): SumStrategy {
  const { name, serverLearningRate, beta1, tau } = config;
  const beta2 = config.name === "fedadagrad" ? 0 : config.beta2;
  const secondMomentStep: (previous: number, squared: number) => number =
    name === "fedadagrad"
      ? (previous, squared) => previous + squared
      : name === "fedyogi"
        ? (previous, squared) => previous - (1 - beta2) * squared * Math.sign(previous - squared)
        : (previous, squared) => beta2 * previous + (1 - beta2) * squared;
  const initialState = (dimension: number): StrategyState => ({
    strategy: name,
    step: 0,
    buffers: {
      firstMoment: new Float32Array(dimension),
      secondMoment: new Float32Array(dimension).fill(tau * tau),
    },
  });
  return {
    name,
    input: "plaintext-sum",
    initialState,
    apply(global, aggregate, state) {
      checkSum(global, aggregate);
      checkState(state, name, BUFFERS, global.length);
      const previousFirst = state.buffers["firstMoment"] ?? new Float32Array(global.length);
      const previousSecond = state.buffers["secondMoment"] ?? new Float32Array(global.length);
      const delta = weightedMean(aggregate);
      const firstMoment = new Float32Array(global.length);
      const secondMoment = new Float32Array(global.length);
      const next = new Float32Array(global.length);
      for (let i = 0; i < next.length; i++) {
        const d = delta[i] ?? 0;
        const m = beta1 * (previousFirst[i] ?? 0) + (1 - beta1) * d;
        const v = secondMomentStep(previousSecond[i] ?? 0, d * d);
        firstMoment[i] = m;
        secondMoment[i] = v;
        next[i] = (global[i] ?? 0) + (serverLearningRate * m) / (Math.sqrt(v) + tau);
      }
      return {
        global: next,
        state: { strategy: name, step: state.step + 1, buffers: { firstMoment, secondMoment } },
      };
    },
  };
}
