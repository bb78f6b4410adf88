// Builds the configured strategy; the one place that maps a StrategyConfig to its implementation.
import { adaptiveStrategy } from "./fedopt.ts";
import type { StrategyConfig } from "./config.ts";
import { fedAvg, fedAvgM } from "./fedavg.ts";
import { coordinateMedian, krum, robustStrategy, trimmedMean } from "./robust.ts";
import type { Strategy } from "./types.ts";

export function createStrategy(config: StrategyConfig): Strategy {
  switch (config.name) {
    case "fedavg":
    case "fedprox":
      return fedAvg(config.name, config.serverLearningRate);
    case "fedavgm":
      return fedAvgM(config.serverLearningRate, config.momentum);
    case "fedadam":
    case "fedyogi":
    case "fedadagrad":
      return adaptiveStrategy(config);
    case "fedmedian":
      return robustStrategy("fedmedian", coordinateMedian, 1);
    case "trimmed-mean":
      return robustStrategy("trimmed-mean", trimmedMean(config.beta), 1);
    case "krum":
      return robustStrategy("krum", krum(config.byzantine, config.multi), 2 * config.byzantine + 3);
  }
}
