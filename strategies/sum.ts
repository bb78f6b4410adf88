// Σ n_k·Δ_k and Σ n_k from plain updates: what mode none (and the tests) feed to a SumStrategy.
import { checkUpdates } from "./checks.ts";
import { StrategyError } from "./types.ts";
import type { WeightedSum, WeightedUpdate } from "./types.ts";

/**
 * Adds one site's weighted update into a running sum (its weightedSum is updated in place), so a coordinator in mode none holds one
 * vector however many sites report (the benchmark's "memory does not grow with the sites").
 */
export function addWeighted(running: WeightedSum, update: WeightedUpdate): WeightedSum {
  if (update.delta.length !== running.weightedSum.length) {
    throw new StrategyError(
      "dimension-mismatch",
      `update has ${update.delta.length} values, the aggregate ${running.weightedSum.length}`,
    );
  }
  if (!(update.weight > 0) || !Number.isFinite(update.weight)) {
    throw new StrategyError("no-weight", `update weight must be a positive number, got ${update.weight}`);
  }
  const weightedSum = running.weightedSum;
  for (let i = 0; i < weightedSum.length; i++)
    weightedSum[i] = (weightedSum[i] ?? 0) + update.weight * (update.delta[i] ?? 0);
  return {
    weightedSum,
    totalWeight: running.totalWeight + update.weight,
    contributors: running.contributors + 1,
  };
}

export function emptySum(dimension: number): WeightedSum {
  return { weightedSum: new Float32Array(dimension), totalWeight: 0, contributors: 0 };
}

export function sumUpdates(dimension: number, updates: readonly WeightedUpdate[]): WeightedSum {
  checkUpdates(new Float32Array(dimension), updates, 1);
  return updates.reduce(addWeighted, emptySum(dimension));
}
