// The strategy section of the federation config, and which privacy modes each strategy can run under.
import { z } from "zod";

const serverLearningRate = z.number().positive().describe("server learning rate η");

/** Reddi et al. 2021, "Adaptive Federated Optimization", Alg. 2 defaults: β1 = 0.9, β2 = 0.99, τ = 1e-3. */
const adaptive = {
  serverLearningRate: serverLearningRate.default(0.01),
  beta1: z.number().min(0).lt(1).default(0.9).describe("first-moment decay β1"),
  tau: z.number().positive().default(1e-3).describe("adaptivity τ (added to the second moment's root)"),
};

const beta2 = z.number().min(0).lt(1).default(0.99).describe("second-moment decay β2");

export const strategyConfigSchema = z.discriminatedUnion("name", [
  z.strictObject({ name: z.literal("fedavg"), serverLearningRate: serverLearningRate.default(1) }),
  z.strictObject({
    name: z.literal("fedavgm"),
    serverLearningRate: serverLearningRate.default(1),
    momentum: z.number().min(0).lt(1).default(0.9).describe("server momentum β"),
  }),
  z.strictObject({
    name: z.literal("fedprox"),
    serverLearningRate: serverLearningRate.default(1),
    mu: z
      .number()
      .min(0)
      .default(0.01)
      .describe("Proximal coefficient μ (Li et al. 2020): applied by the sites in their local loss."),
  }),
  z.strictObject({ name: z.literal("fedadam"), ...adaptive, beta2 }),
  z.strictObject({ name: z.literal("fedyogi"), ...adaptive, beta2 }),
  z.strictObject({ name: z.literal("fedadagrad"), ...adaptive }),
  z.strictObject({ name: z.literal("fedmedian") }),
  z.strictObject({
    name: z.literal("trimmed-mean"),
    beta: z
      .number()
      .min(0)
      .lt(0.5)
      .default(0.1)
      .describe("Fraction β trimmed from each end per coordinate (Yin et al. 2018)."),
  }),
  z.strictObject({
    name: z.literal("krum"),
    byzantine: z
      .number()
      .int()
      .min(0)
      .default(1)
      .describe("f, the number of Byzantine sites tolerated; Krum needs n ≥ 2f + 3 (Blanchard et al. 2017)."),
    multi: z
      .number()
      .int()
      .min(1)
      .default(1)
      .describe("Multi-Krum: average the m best-scored updates (m = 1 is Krum)."),
  }),
]);

export type StrategyConfig = z.infer<typeof strategyConfigSchema>;
export type StrategyName = StrategyConfig["name"];

/**
 * What the coordinator must see to run a strategy:
 * - `sum`: only Σ n_k·Δ_k and Σ n_k, which the sites can also finish themselves from a decrypted
 *   aggregate (FedAvg, FedProx): every mode.
 * - `plaintext-sum`: the sum in the clear plus server optimizer state (momentum, second moment):
 *   secure aggregation reveals the sum to the coordinator, HE does not, so none or secagg.
 * - `individual`: each site's update (median, trimmed mean, Krum): only mode none.
 */
export type StrategyInput = "sum" | "plaintext-sum" | "individual";

export const STRATEGY_INPUT: Readonly<Record<StrategyName, StrategyInput>> = {
  fedavg: "sum",
  fedprox: "sum",
  fedavgm: "plaintext-sum",
  fedadam: "plaintext-sum",
  fedyogi: "plaintext-sum",
  fedadagrad: "plaintext-sum",
  fedmedian: "individual",
  "trimmed-mean": "individual",
  krum: "individual",
};

/** The part of the strategy the sites apply locally (FedProx's proximal term). */
export function strategySiteSettings(strategy: StrategyConfig): { readonly fedproxMu: number } {
  return { fedproxMu: strategy.name === "fedprox" ? strategy.mu : 0 };
}
