// Byzantine-robust aggregation over individual updates (privacy mode none only): median, trimmed mean, Krum.
import { checkState, checkUpdates } from "./checks.ts";
import type { IndividualStrategy, WeightedUpdate } from "./types.ts";

/** Combines the sites' updates Δ_k into one update; weights n_k are ignored, as in the cited papers. */
export type RobustAggregator = (updates: readonly WeightedUpdate[]) => Float32Array;

/** Applies the robust update directly, x_{t+1} = x_t + Δ (no server optimizer, so no state). */
export function robustStrategy(
  name: "fedmedian" | "trimmed-mean" | "krum",
  aggregate: RobustAggregator,
  minimumUpdates: number,
): IndividualStrategy {
  return {
    name,
    input: "individual",
    initialState: () => ({ strategy: name, step: 0, buffers: {} }),
    apply(global, updates, state) {
      checkUpdates(global, updates, minimumUpdates);
      checkState(state, name, [], global.length);
      const delta = aggregate(updates);
      const next = new Float32Array(global.length);
      for (let i = 0; i < next.length; i++) next[i] = (global[i] ?? 0) + (delta[i] ?? 0);
      return { global: next, state: { strategy: name, step: state.step + 1, buffers: {} } };
    },
  };
}

/** Applies `reduce` to each coordinate's n values, sorted ascending. */
function coordinatewise(
  updates: readonly WeightedUpdate[],
  reduce: (sorted: Float64Array) => number,
): Float32Array {
  const dimension = updates[0]?.delta.length ?? 0;
  const column = new Float64Array(updates.length);
  const result = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) {
    for (let k = 0; k < updates.length; k++) column[k] = updates[k]?.delta[i] ?? 0;
    column.sort();
    result[i] = reduce(column);
  }
  return result;
}

/** Coordinate-wise median (Yin et al. 2018, "Byzantine-Robust Distributed Learning", Def. 1); even n: mean of the middle two. */
export const coordinateMedian: RobustAggregator = (updates) =>
  coordinatewise(updates, (sorted) => {
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1
      ? (sorted[middle] ?? 0)
      : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  });

/**
 * Coordinate-wise β-trimmed mean (Yin et al. 2018, Def. 2): drop the ⌊β·n⌋ largest and smallest
 * values of each coordinate and average the rest. β < 1/2 keeps at least one value.
 */
export function trimmedMean(beta: number): RobustAggregator {
  return (updates) => {
    const trim = Math.floor(beta * updates.length);
    return coordinatewise(updates, (sorted) => {
      let sum = 0;
      for (let k = trim; k < sorted.length - trim; k++) sum += sorted[k] ?? 0;
      return sum / (sorted.length - 2 * trim);
    });
  };
}

function squaredDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  return sum;
}

/** Krum scores (Blanchard et al. 2017, §4): for each i, Σ of ‖Δ_i − Δ_j‖² over its n − f − 2 nearest j ≠ i. */
export function krumScores(updates: readonly WeightedUpdate[], byzantine: number): number[] {
  const n = updates.length;
  const distances = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = squaredDistance(
        updates[i]?.delta ?? new Float32Array(),
        updates[j]?.delta ?? new Float32Array(),
      );
      (distances[i] as Float64Array)[j] = d;
      (distances[j] as Float64Array)[i] = d;
    }
  }
  const neighbours = n - byzantine - 2;
  return distances.map((row, i) => {
    const others = Array.from(row).filter((_, j) => j !== i);
    others.sort((a, b) => a - b);
    return others.slice(0, neighbours).reduce((sum, d) => sum + d, 0);
  });
}

/**
 * Krum (Blanchard et al. 2017, "Machine Learning with Adversaries", §4) picks the update with the
 * lowest score; Multi-Krum (same paper, §5) averages the `multi` lowest. Needs n ≥ 2f + 3; ties go
 * to the earlier update so the choice is deterministic.
 */
export function krum(byzantine: number, multi: number): RobustAggregator {
  return (updates) => {
    const scores = krumScores(updates, byzantine);
    const chosen = scores
      .map((score, index) => ({ score, index }))
      .sort((a, b) => a.score - b.score || a.index - b.index)
      .slice(0, multi)
      .map(({ index }) => updates[index]?.delta ?? new Float32Array());
    const dimension = updates[0]?.delta.length ?? 0;
    const mean = new Float32Array(dimension);
    for (let i = 0; i < dimension; i++) {
      let sum = 0;
      for (const delta of chosen) sum += delta[i] ?? 0;
      mean[i] = sum / chosen.length;
    }
    return mean;
  };
}
