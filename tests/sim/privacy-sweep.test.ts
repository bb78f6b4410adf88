// The ε sweep and the DP preset: the noise the accountant picks maps back to each target ε at the binding site.
import { describe, expect, it } from "vitest";
import { computeEpsilon } from "../../crypto/dp/accountant.ts";
import { parseSimOptions } from "../../sim/options.ts";
import { presetDefaults } from "../../sim/presets.ts";
import { SWEEP_EPSILONS, dpStepsOf, noiseForEpsilon, withTargetEpsilon } from "../../sim/privacy-sweep.ts";

const records = [700, 2000, 3100];

describe("noise for a target ε", () => {
  for (const dp of ["record", "site"] as const) {
    it(`${dp} DP: every target ε of the sweep is met, and the accountant maps the noise back to it`, () => {
      const options = parseSimOptions({ out: "x", dp, batchSize: 64, rounds: 5, localSteps: 6 });
      for (const target of SWEEP_EPSILONS.filter(Number.isFinite)) {
        const { noiseMultiplier, siteEpsilons } = noiseForEpsilon(options, records, target);
        const smallest = dpStepsOf(options, Math.min(...records));
        const back = computeEpsilon({
          blocks: [{ ...smallest, noiseMultiplier }],
          delta: options.delta,
        }).epsilon;
        expect(back).toBeLessThanOrEqual(target);
        // Within the bisection's tolerance (1e-4 on σ) of the target: a little less noise would overspend.
        expect(back).toBeGreaterThan(target * 0.99);
        expect(
          computeEpsilon({
            blocks: [{ ...smallest, noiseMultiplier: noiseMultiplier - 0.01 }],
            delta: options.delta,
          }).epsilon,
        ).toBeGreaterThan(target);
        for (const eps of siteEpsilons) expect(eps).toBeLessThanOrEqual(target);
        if (dp === "record") expect(siteEpsilons[2]).toBeLessThan(siteEpsilons[0]!);
      }
    });
  }

  it("record DP charges q = lot / records for rounds × local steps; site DP one step per round", () => {
    const options = parseSimOptions({ out: "x", batchSize: 64, rounds: 5, localSteps: 6 });
    expect(dpStepsOf({ ...options, dp: "record" }, 640)).toEqual({ samplingRate: 0.1, steps: 30 });
    expect(dpStepsOf({ ...options, dp: "site" }, 640)).toEqual({ samplingRate: 1, steps: 5 });
  });

  it("refuses a target ε without DP, and leaves options without a target unchanged", () => {
    const plain = parseSimOptions({ out: "x" });
    expect(() => noiseForEpsilon(plain, records, 3)).toThrow(RangeError);
    expect(withTargetEpsilon(plain, records)).toBe(plain);
  });
});

describe("presets", () => {
  it("dp: record-level DP-SGD at ε ≤ 8, δ = 1e-5, with canaries; noise from the accountant", () => {
    const options = parseSimOptions({ ...presetDefaults("dp"), out: "x" });
    expect(options).toMatchObject({
      dp: "record",
      targetEpsilon: 8,
      delta: 1e-5,
      canaries: true,
      preset: "dp",
    });
    const resolved = withTargetEpsilon(options, records);
    expect(resolved.noiseMultiplier).not.toBe(options.noiseMultiplier);
    expect(noiseForEpsilon(options, records, 8).siteEpsilons.every((e) => e <= 8)).toBe(true);
  });

  it("names the known presets when given an unknown one", () => {
    expect(() => presetDefaults("fast")).toThrow(/unknown preset "fast" \(known: dp\)/);
    expect(presetDefaults(undefined)).toEqual({});
  });
});
