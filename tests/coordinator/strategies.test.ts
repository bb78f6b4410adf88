// Strategy arithmetic against hand-computed values; state round-trips; bad input refused.
import { describe, expect, it } from "vitest";
import {
  coordinateMedian,
  createStrategy,
  decodeStrategyState,
  encodeStrategyState,
  krumScores,
  StrategyError,
  strategyConfigSchema,
  sumUpdates,
  trimmedMean,
} from "../../strategies/index.ts";
import type {
  StrategyConfig,
  StrategyState,
  SumStrategy,
  WeightedSum,
  WeightedUpdate,
} from "../../strategies/index.ts";
import { errorCode } from "./helpers/error-code.ts";

const update = (delta: readonly number[], weight = 1): WeightedUpdate => ({
  delta: Float32Array.from(delta),
  weight,
});

function sumStrategy(config: Partial<StrategyConfig> & Pick<StrategyConfig, "name">): SumStrategy {
  const strategy = createStrategy(strategyConfigSchema.parse(config));
  if (strategy.input === "individual") throw new Error(`${config.name} is not a sum strategy`);
  return strategy;
}

function expectClose(actual: Float32Array, expected: readonly number[], digits = 5): void {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((value, i) => expect(actual[i]).toBeCloseTo(value, digits));
}

// Two sites: Δ_1 = (1, 0) with n_1 = 1 and Δ_2 = (0, 3) with n_2 = 3, so Σ n_k·Δ_k = (1, 9),
// Σ n_k = 4 and the weighted mean Δ̄ = (0.25, 2.25). The global adapter starts at (1, 2).
const global = Float32Array.from([1, 2]);
const aggregate: WeightedSum = sumUpdates(2, [update([1, 0], 1), update([0, 3], 3)]);

describe("sum strategies", () => {
  it("sums weighted updates as secure aggregation would reveal them", () => {
    expect(Array.from(aggregate.weightedSum)).toEqual([1, 9]);
    expect(aggregate.totalWeight).toBe(4);
    expect(aggregate.contributors).toBe(2);
  });

  it("FedAvg: x + Δ̄, and η scales the step", () => {
    const fedavg = sumStrategy({ name: "fedavg" });
    expectClose(fedavg.apply(global, aggregate, fedavg.initialState(2)).global, [1.25, 4.25]);
    const damped = sumStrategy({ name: "fedavg", serverLearningRate: 0.5 });
    expectClose(damped.apply(global, aggregate, damped.initialState(2)).global, [1.125, 3.125]);
  });

  it("FedProx's server step is FedAvg's", () => {
    const fedprox = sumStrategy({ name: "fedprox", mu: 0.1 });
    expectClose(fedprox.apply(global, aggregate, fedprox.initialState(2)).global, [1.25, 4.25]);
  });

  it("FedAvgM: v = β·v + Δ̄, x = x + η·v over two rounds", () => {
    const fedavgm = sumStrategy({ name: "fedavgm", momentum: 0.5 });
    const first = fedavgm.apply(global, aggregate, fedavgm.initialState(2));
    expectClose(first.global, [1.25, 4.25]);
    // v_2 = 0.5·(0.25, 2.25) + (0.25, 2.25) = (0.375, 3.375); x_2 = (1.25, 4.25) + v_2.
    const second = fedavgm.apply(first.global, aggregate, first.state);
    expectClose(second.state.buffers["velocity"] ?? new Float32Array(), [0.375, 3.375]);
    expectClose(second.global, [1.625, 7.625]);
  });

  // Reddi et al. 2021, Alg. 2 with η = 0.1, β1 = 0.9, β2 = 0.99, τ = 1e-3, v_{−1} = τ².
  // First coordinate, round 1 by hand: m = 0.1·0.25 = 0.025; FedAdam v = 0.99·1e-6 + 0.01·0.0625
  // = 6.2599e-4; x = 1 + 0.1·0.025 / (√6.2599e-4 + 1e-3) = 1 + 0.0025 / 0.0260198 = 1.0960807.
  // Round 2 uses Δ̄ = −0.5·(0.25, 2.25); its expected values were computed in float64 from the
  // same recurrences, independently of this code.
  const secondAggregate: WeightedSum = {
    weightedSum: Float32Array.from([-0.5, -4.5]),
    totalWeight: 4,
    contributors: 2,
  };
  it.each([
    ["fedadam", [1.0960807, 2.0995566], [1.130735, 2.1353345], [7.759801e-4, 0.06277598]],
    ["fedyogi", [1.09608, 2.0995565], [1.1306, 2.1351917], [7.8225e-4, 0.06328225]],
    ["fedadagrad", [1.00996008, 2.00999556], [1.013525, 2.0135718], [0.078126, 6.328126]],
  ] as const)(
    "%s matches the hand/reference values over two rounds",
    (name, round1, round2, secondMoment) => {
      const strategy = sumStrategy({ name, serverLearningRate: 0.1 });
      const first = strategy.apply(global, aggregate, strategy.initialState(2));
      expectClose(first.global, round1);
      expectClose(first.state.buffers["firstMoment"] ?? new Float32Array(), [0.025, 0.225]);
      const second = strategy.apply(first.global, secondAggregate, first.state);
      expectClose(second.global, round2);
      expectClose(second.state.buffers["firstMoment"] ?? new Float32Array(), [0.01, 0.09]);
      expectClose(second.state.buffers["secondMoment"] ?? new Float32Array(), secondMoment, 6);
      expect(second.state.step).toBe(2);
    },
  );

  it("a state saved and restored continues exactly as one kept in memory", () => {
    const fedadam = sumStrategy({ name: "fedadam" });
    const first = fedadam.apply(global, aggregate, fedadam.initialState(2));
    const restored: StrategyState = decodeStrategyState(encodeStrategyState(first.state));
    expect(restored).toEqual(first.state);
    expect(fedadam.apply(first.global, aggregate, restored)).toEqual(
      fedadam.apply(first.global, aggregate, first.state),
    );
  });

  it("refuses a wrong length, a zero weight, a non-finite value and another strategy's state", () => {
    const fedavg = sumStrategy({ name: "fedavg" });
    const fedadam = sumStrategy({ name: "fedadam" });
    const code = (action: () => unknown): string => errorCode(StrategyError, action);
    const state = fedavg.initialState(2);
    expect(code(() => fedavg.apply(Float32Array.from([1, 2, 3]), aggregate, state))).toBe(
      "dimension-mismatch",
    );
    expect(code(() => fedavg.apply(global, { ...aggregate, totalWeight: 0 }, state))).toBe("no-weight");
    expect(
      code(() => fedavg.apply(global, { ...aggregate, weightedSum: Float32Array.from([NaN, 1]) }, state)),
    ).toBe("not-finite");
    expect(code(() => fedadam.apply(global, aggregate, state))).toBe("bad-state");
    expect(code(() => fedadam.apply(global, aggregate, fedadam.initialState(3)))).toBe("bad-state");
    expect(code(() => decodeStrategyState('{"strategy":"fedavg","step":-1,"buffers":{}}'))).toBe("bad-state");
  });
});

describe("robust aggregators", () => {
  it("coordinate-wise median, odd and even n", () => {
    const three = [update([1, 5, 2]), update([3, -1, 2]), update([100, 0, 2])];
    expect(Array.from(coordinateMedian(three))).toEqual([3, 0, 2]);
    expect(Array.from(coordinateMedian([...three, update([0, 0, 0])]))).toEqual([2, 0, 2]);
  });

  it("trimmed mean drops ⌊β·n⌋ from each end", () => {
    const five = [1, 2, 3, 4, 100].map((value) => update([value, -value]));
    // β = 0.2, n = 5: drop one from each end, mean of (2, 3, 4) = 3.
    expect(Array.from(trimmedMean(0.2)(five))).toEqual([3, -3]);
    // β = 0.1: ⌊0.5⌋ = 0, the plain mean 22.
    expect(Array.from(trimmedMean(0.1)(five))).toEqual([22, -22]);
  });

  // 1-D updates 0, 1, 2, 3, 100 with f = 1: each score sums the n − f − 2 = 2 smallest squared
  // distances: 0 → 1 + 4 = 5, 1 → 1 + 1 = 2, 2 → 1 + 1 = 2, 3 → 1 + 4 = 5, 100 → 97² + 98² = 19013.
  const line = [0, 1, 2, 3, 100].map((value) => update([value]));
  it("Krum scores and picks the lowest (ties to the earlier update); Multi-Krum averages", () => {
    expect(krumScores(line, 1)).toEqual([5, 2, 2, 5, 19013]);
    const krum = createStrategy(strategyConfigSchema.parse({ name: "krum", byzantine: 1 }));
    const multiKrum = createStrategy(strategyConfigSchema.parse({ name: "krum", byzantine: 1, multi: 4 }));
    if (krum.input !== "individual" || multiKrum.input !== "individual")
      throw new Error("krum is individual");
    const start = Float32Array.from([10]);
    expect(Array.from(krum.apply(start, line, krum.initialState(1)).global)).toEqual([11]);
    // Lowest four: indices 1, 2, 0, 3 (0 ties with 3 and comes first): mean 1.5, never the outlier.
    expect(Array.from(multiKrum.apply(start, line, multiKrum.initialState(1)).global)).toEqual([11.5]);
    expect(() => krum.apply(start, line.slice(0, 4), krum.initialState(1))).toThrow(/at least 5 updates/);
  });

  it("the median ignores one wild update that moves FedAvg far", () => {
    const updates = [update([0.1]), update([0.2]), update([1e6])];
    const median = createStrategy(strategyConfigSchema.parse({ name: "fedmedian" }));
    if (median.input !== "individual") throw new Error("fedmedian is individual");
    expect(
      Array.from(median.apply(Float32Array.from([0]), updates, median.initialState(1)).global)[0],
    ).toBeCloseTo(0.2, 6);
  });
});
