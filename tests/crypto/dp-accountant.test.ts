// The RDP accountant against published values (tests/vectors/dp, each with its source and conversion), plus composition and the noise search.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  composeRdp,
  computeEpsilon,
  computeNoiseMultiplier,
  DEFAULT_RDP_ORDERS,
  emptyRdp,
  epsilonOf,
} from "../../crypto/dp/accountant.ts";
import { deltaFromRdp, epsilonFromRdp, type RdpConversion } from "../../crypto/dp/conversion.ts";
import { logAdd, logErfc, logGamma } from "../../crypto/dp/numeric.ts";
import { computeLogAFrac, computeLogAInt, rdpPoissonSubsampledGaussian } from "../../crypto/dp/rdp.ts";
import { ParameterError } from "../../crypto/errors.ts";

interface Tolerance {
  readonly relative?: number;
  readonly absolute?: number;
}
interface Block {
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly steps: number;
}
interface EpsilonCase {
  readonly name: string;
  readonly conversion: RdpConversion;
  readonly orderSet?: string;
  readonly orders?: number[];
  readonly rdpConstant?: number;
  readonly blocks?: Block[];
  readonly delta: number;
  readonly epsilon: number;
  readonly order?: number;
  readonly tolerance: Tolerance;
}
interface RdpCase extends Block {
  readonly name: string;
  readonly orders: number[];
  readonly rdp: number[];
  readonly tolerance: Tolerance;
}
interface NoiseCase {
  readonly name: string;
  readonly orderSet: string;
  readonly targetEpsilon: number;
  readonly delta: number;
  readonly samplingRate: number;
  readonly steps: number;
  readonly noiseMultiplier: number;
  readonly tolerance: Tolerance;
}
interface Vectors {
  readonly orderSets: Record<string, { readonly orders?: number[] }>;
  readonly epsilonCases: EpsilonCase[];
  readonly rdpCases: RdpCase[];
  readonly noiseCases: NoiseCase[];
}

const vectors = JSON.parse(
  readFileSync(new URL("../vectors/dp/rdp-accountant.json", import.meta.url), "utf8"),
) as Vectors;

/** Opacus' DEFAULT_ALPHAS, computed as in Python so that the doubles agree. */
const OPACUS_ORDERS = [
  ...Array.from({ length: 99 }, (_, i) => 1 + (i + 1) / 10),
  ...Array.from({ length: 52 }, (_, i) => 12 + i),
];

function ordersOf(name: string | undefined, explicit: number[] | undefined): number[] {
  if (explicit !== undefined) return explicit;
  if (name === "opacus-default") return OPACUS_ORDERS;
  const set = name === undefined ? undefined : vectors.orderSets[name]?.orders;
  if (set === undefined) throw new Error(`unknown order set ${name}`);
  return set;
}

function expectClose(actual: number, expected: number, tolerance: Tolerance): void {
  if (tolerance.absolute !== undefined)
    expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance.absolute);
  if (tolerance.relative !== undefined)
    expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThanOrEqual(tolerance.relative);
}

describe("published ε values", () => {
  it.each(vectors.epsilonCases.map((c) => [c.name, c] as const))("%s", (_name, testCase) => {
    const orders = ordersOf(testCase.orderSet, testCase.orders);
    const result =
      testCase.rdpConstant !== undefined
        ? epsilonFromRdp(
            orders,
            orders.map(() => testCase.rdpConstant ?? 0),
            testCase.delta,
            testCase.conversion,
          )
        : computeEpsilon({
            blocks: testCase.blocks ?? [],
            delta: testCase.delta,
            orders,
            conversion: testCase.conversion,
          });
    expectClose(result.epsilon, testCase.epsilon, testCase.tolerance);
    if (testCase.order !== undefined) expect(result.order).toBe(testCase.order);
  });

  it("the conversion matters: the MNIST tutorial value is only reproduced with the conversion it was computed with", () => {
    const mnist = vectors.epsilonCases[0];
    if (mnist === undefined) throw new Error("missing vector");
    const orders = ordersOf(mnist.orderSet, mnist.orders);
    const improved = computeEpsilon({
      blocks: mnist.blocks ?? [],
      delta: mnist.delta,
      orders,
      conversion: "balle2020",
    });
    expect(improved.epsilon).toBeLessThan(mnist.epsilon - 0.3);
  });
});

describe("published RDP values", () => {
  it.each(vectors.rdpCases.map((c) => [c.name, c] as const))("%s", (_name, testCase) => {
    const rdp = rdpPoissonSubsampledGaussian(
      testCase.samplingRate,
      testCase.noiseMultiplier,
      testCase.steps,
      testCase.orders,
    );
    rdp.forEach((value, i) => expectClose(value, testCase.rdp[i] ?? NaN, testCase.tolerance));
  });
});

describe("noise search", () => {
  it.each(vectors.noiseCases.map((c) => [c.name, c] as const))("%s", (_name, testCase) => {
    const answer = computeNoiseMultiplier({
      targetEpsilon: testCase.targetEpsilon,
      delta: testCase.delta,
      samplingRate: testCase.samplingRate,
      steps: testCase.steps,
      orders: ordersOf(testCase.orderSet, undefined),
    });
    expectClose(answer.noiseMultiplier, testCase.noiseMultiplier, testCase.tolerance);
  });

  it("returns the smallest z within its tolerance: z meets the target, z − tolerance does not", () => {
    const query = { targetEpsilon: 2, delta: 1e-5, samplingRate: 0.01, steps: 1000 } as const;
    const answer = computeNoiseMultiplier(query);
    expect(answer.epsilon).toBeLessThanOrEqual(2);
    const below = computeEpsilon({
      blocks: [
        { samplingRate: 0.01, noiseMultiplier: answer.noiseMultiplier - answer.tolerance, steps: 1000 },
      ],
      delta: 1e-5,
    });
    expect(below.epsilon).toBeGreaterThan(2);
  });
});

describe("accountant", () => {
  it("uses dp_accounting's default orders", () => {
    expect(DEFAULT_RDP_ORDERS).toHaveLength(99 + 53 + 4);
    expect(DEFAULT_RDP_ORDERS.slice(0, 3)).toEqual([1.1, 1.2, 1.3]);
    expect(DEFAULT_RDP_ORDERS.slice(-5)).toEqual([63, 128, 256, 512, 1024]);
  });

  it("composes blocks with different parameters by adding RDP, order by order", () => {
    const a = { samplingRate: 0.01, noiseMultiplier: 1.1, steps: 300 };
    const b = { samplingRate: 0.05, noiseMultiplier: 2.0, steps: 40 };
    const composed = composeRdp(composeRdp(emptyRdp(), a), b);
    const separate = [a, b].map((blk) =>
      rdpPoissonSubsampledGaussian(blk.samplingRate, blk.noiseMultiplier, blk.steps, DEFAULT_RDP_ORDERS),
    );
    composed.rdp.forEach((r, i) =>
      expect(r).toBeCloseTo((separate[0]?.[i] ?? 0) + (separate[1]?.[i] ?? 0), 12),
    );
    const eps = epsilonOf(composed, 1e-5).epsilon;
    expect(eps).toBeGreaterThan(computeEpsilon({ blocks: [a], delta: 1e-5 }).epsilon);
    expect(eps).toBeGreaterThan(computeEpsilon({ blocks: [b], delta: 1e-5 }).epsilon);
  });

  it("ε and δ conversions are inverse to each other (dp_accounting test_epsilon_delta_consistency)", () => {
    const state = composeRdp(emptyRdp(), { samplingRate: 0.1, noiseMultiplier: 1, steps: 1 });
    for (const delta of [0.1, 1e-3, 1e-5, 1e-9]) {
      const { epsilon } = epsilonOf(state, delta);
      const back = deltaFromRdp(state.orders, state.rdp, epsilon).delta;
      // ε = 0 is the degenerate KL case, where only δ' ≤ δ holds (as in dp_accounting's test).
      if (epsilon === 0) expect(back).toBeLessThanOrEqual(delta);
      else expect(Math.abs(back / delta - 1)).toBeLessThan(1e-9);
    }
  });

  it("handles the edge cases like dp_accounting", () => {
    expect(
      computeEpsilon({ blocks: [{ samplingRate: 0, noiseMultiplier: 1, steps: 10 }], delta: 1e-10 }).epsilon,
    ).toBe(0);
    expect(
      computeEpsilon({ blocks: [{ samplingRate: 0.1, noiseMultiplier: 0, steps: 1 }], delta: 0.1 }).epsilon,
    ).toBe(Infinity);
    expect(() => rdpPoissonSubsampledGaussian(1.5, 1, 1, [2])).toThrow(ParameterError);
    expect(() => rdpPoissonSubsampledGaussian(0.1, -1, 1, [2])).toThrow(ParameterError);
    expect(() => epsilonFromRdp([2], [0.1], -1)).toThrow(ParameterError);
  });
});

/**
 * log A_α = log E_{z∼N(0,σ²)}[((1−q) + q·exp((2z−1)/(2σ²)))^α] by the trapezoid rule in log space: the
 * independent reference dp_accounting's test_compute_log_a_equals_mp computes with mpmath.
 */
function logAByQuadrature(q: number, sigma: number, alpha: number): number {
  const low = -40 * sigma;
  const high = 40 * sigma + alpha;
  const points = 400_001;
  const h = (high - low) / (points - 1);
  let logSum = -Infinity;
  for (let k = 0; k < points; k++) {
    const z = low + k * h;
    const logMixture = logAdd(Math.log1p(-q), Math.log(q) + (2 * z - 1) / (2 * sigma * sigma));
    const logDensity = (-z * z) / (2 * sigma * sigma) - Math.log(sigma * Math.sqrt(2 * Math.PI));
    const weight = k === 0 || k === points - 1 ? Math.log(h / 2) : Math.log(h);
    logSum = logAdd(logSum, weight + logDensity + alpha * logMixture);
  }
  return logSum;
}

describe("log A_α against numerical integration (dp_accounting test_compute_log_a_equals_mp cases)", () => {
  it.each([
    [1e-6, 1, 27],
    [1e-4, 1, 1.5],
    [1e-3, 1, 2],
    [0.01, 10, 20],
    [0.1, 100, 20.5],
    [0.5, 2, 7.5],
  ])("q=%s σ=%s α=%s", (q, sigma, alpha) => {
    const logA = Number.isInteger(alpha) ? computeLogAInt(q, sigma, alpha) : computeLogAFrac(q, sigma, alpha);
    const reference = logAByQuadrature(q, sigma, alpha);
    expect(Math.abs(logA - reference)).toBeLessThanOrEqual(
      1e-4 * Math.max(Math.abs(reference), 1e-12) + 1e-12,
    );
  });
});

describe("special functions", () => {
  it("log Γ matches known values", () => {
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 12);
    let logFactorial1024 = 0;
    for (let k = 2; k <= 1024; k++) logFactorial1024 += Math.log(k);
    expect(logGamma(1025)).toBeCloseTo(logFactorial1024, 9);
  });

  it("log erfc is accurate across the range, including deep in the upper tail", () => {
    // erfc(0.5) and erfc(2) from Abramowitz & Stegun table 7.1; erfc(30) by the asymptotic series A&S 7.1.23.
    expect(Math.exp(logErfc(0.5))).toBeCloseTo(0.4795001221869535, 14);
    expect(Math.exp(logErfc(2))).toBeCloseTo(0.004677734981047266, 16);
    expect(Math.exp(logErfc(-1))).toBeCloseTo(1.8427007929497148, 14);
    const asymptotic =
      -900 -
      Math.log(30 * Math.sqrt(Math.PI)) +
      Math.log1p(-1 / 1800 + 3 / (4 * 30 ** 4) - 15 / (8 * 30 ** 6));
    expect(logErfc(30)).toBeCloseTo(asymptotic, 9);
  });
});
