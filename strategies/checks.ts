// Shape and value checks shared by every strategy, so that bad input is refused before any arithmetic.
import type { StrategyName } from "./config.ts";
import { StrategyError } from "./types.ts";
import type { StrategyState, WeightedSum, WeightedUpdate } from "./types.ts";

function checkFinite(vector: Float32Array, what: string): void {
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) throw new StrategyError("not-finite", `${what}[${i}] is not finite`);
  }
}

export function checkSum(global: Float32Array, aggregate: WeightedSum): void {
  if (aggregate.weightedSum.length !== global.length) {
    throw new StrategyError(
      "dimension-mismatch",
      `aggregate has ${aggregate.weightedSum.length} values, the global adapter ${global.length}`,
    );
  }
  if (!(aggregate.totalWeight > 0) || !Number.isFinite(aggregate.totalWeight)) {
    throw new StrategyError(
      "no-weight",
      `total weight must be a positive number, got ${aggregate.totalWeight}`,
    );
  }
  checkFinite(aggregate.weightedSum, "aggregate");
}

export function checkUpdates(
  global: Float32Array,
  updates: readonly WeightedUpdate[],
  minimum: number,
): void {
  if (updates.length < minimum) {
    throw new StrategyError("too-few-updates", `needs at least ${minimum} updates, got ${updates.length}`);
  }
  updates.forEach((update, k) => {
    if (update.delta.length !== global.length) {
      throw new StrategyError(
        "dimension-mismatch",
        `update ${k} has ${update.delta.length} values, the global adapter ${global.length}`,
      );
    }
    checkFinite(update.delta, `update ${k}`);
  });
}

/** A state restored from storage must belong to this strategy and this adapter size. */
export function checkState(
  state: StrategyState,
  name: StrategyName,
  bufferNames: readonly string[],
  dimension: number,
): void {
  if (state.strategy !== name) {
    throw new StrategyError("bad-state", `state belongs to ${state.strategy}, not ${name}`);
  }
  for (const bufferName of bufferNames) {
    const buffer = state.buffers[bufferName];
    if (buffer?.length !== dimension) {
      throw new StrategyError(
        "bad-state",
        `${name} state buffer ${bufferName} has ${buffer?.length ?? 0} values, expected ${dimension}`,
      );
    }
  }
}
