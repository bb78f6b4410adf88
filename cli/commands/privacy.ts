// `fedtune privacy epsilon|noise`: plan a DP budget with the RDP accountant (dp_accounting's orders and conversion).
import {
  computeEpsilon,
  computeNoiseMultiplier,
  DEFAULT_NOISE_TOLERANCE,
} from "../../crypto/dp/accountant.ts";
import type { RdpConversion } from "../../crypto/dp/conversion.ts";
import { ParameterError } from "../../crypto/errors.ts";
import { UsageError, type CliContext, type Command, type OptionSpec, type ParsedArgs } from "../command.ts";

const CONVERSIONS: readonly RdpConversion[] = ["balle2020", "mironov2017"];

const SHARED_OPTIONS: Readonly<Record<string, OptionSpec>> = {
  "sampling-rate": {
    type: "string",
    description: "Poisson sampling probability q per step (batch size / dataset size)",
  },
  steps: {
    type: "string",
    description: "Number of steps T (e.g. epochs × dataset size / batch size, or rounds)",
  },
  delta: { type: "string", description: "Target δ" },
  conversion: {
    type: "string",
    description:
      "RDP→(ε, δ) conversion: balle2020 (dp_accounting, Opacus) or mironov2017 (TF Privacy before 2020)",
    defaultText: "balle2020",
  },
  json: { type: "boolean", description: "Print one JSON object instead of a sentence" },
};

const DETAILS =
  "Rényi DP accountant for the Poisson-subsampled Gaussian mechanism (Mironov, Talwar & Zhang 2019) at the\n" +
  "default orders of Google's dp_accounting RdpAccountant.";

interface Plan {
  readonly samplingRate: number;
  readonly steps: number;
  readonly delta: number;
  readonly conversion: RdpConversion;
}

function readPlan(args: ParsedArgs): Plan {
  const steps = args.integer("steps");
  if (steps === undefined) throw new UsageError("--steps is required");
  const delta = args.requireNumber("delta");
  // δ = 0 makes every ε infinite (pure DP, which the Gaussian mechanism never gives), and a
  // non-finite ε would print as JSON null: refuse the plan rather than answer it uselessly.
  if (!(delta > 0 && delta < 1)) throw new UsageError(`--delta must be in (0, 1), got ${delta}`);
  return {
    samplingRate: args.requireNumber("sampling-rate"),
    steps,
    delta,
    conversion: args.choice("conversion", CONVERSIONS, "balle2020"),
  };
}

/** Bad numbers (q > 1, negative noise, …) are usage errors here, not crashes. */
function asUsage<T>(compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof ParameterError) throw new UsageError(error.message);
    throw error;
  }
}

export const privacyEpsilonCommand: Command = {
  path: ["privacy", "epsilon"],
  summary: "ε spent by DP-SGD for given sampling rate, noise and steps",
  details: DETAILS,
  options: {
    ...SHARED_OPTIONS,
    "noise-multiplier": { type: "string", description: "Noise multiplier z (noise stddev / clip norm)" },
  },
  // The executor turns a synchronous throw into a rejection, as callers of a Promise expect.
  run: (args, ctx) => new Promise((resolve) => resolve(printEpsilon(args, ctx))),
};

function printEpsilon(args: ParsedArgs, ctx: CliContext): number {
  const plan = readPlan(args);
  const noiseMultiplier = args.requireNumber("noise-multiplier");
  // Without noise ε is infinite, which JSON cannot carry.
  if (!(noiseMultiplier > 0))
    throw new UsageError(
      `--noise-multiplier must be > 0 (without noise ε is unbounded), got ${noiseMultiplier}`,
    );
  const result = asUsage(() =>
    computeEpsilon({
      blocks: [{ samplingRate: plan.samplingRate, noiseMultiplier, steps: plan.steps }],
      delta: plan.delta,
      conversion: plan.conversion,
    }),
  );
  if (args.flag("json")) {
    ctx.print(JSON.stringify({ epsilon: result.epsilon, delta: plan.delta, order: result.order }));
  } else {
    ctx.print(
      `ε = ${result.epsilon.toPrecision(6)} at δ = ${plan.delta} (optimal RDP order ${result.order}) for ` +
        `${plan.steps} steps at sampling rate ${plan.samplingRate} with noise multiplier ${noiseMultiplier} ` +
        `[${plan.conversion} conversion]`,
    );
  }
  return 0;
}

export const privacyNoiseCommand: Command = {
  path: ["privacy", "noise"],
  summary: "Smallest noise multiplier that meets a target ε",
  details: `${DETAILS}\nBisection on the noise multiplier; the answer meets the target and is at most --tolerance above the exact minimum.`,
  options: {
    ...SHARED_OPTIONS,
    "target-epsilon": { type: "string", description: "The ε to stay within" },
    tolerance: {
      type: "string",
      description: "Absolute tolerance on the noise multiplier",
      defaultText: String(DEFAULT_NOISE_TOLERANCE),
    },
  },
  run: (args, ctx) => new Promise((resolve) => resolve(printNoise(args, ctx))),
};

function printNoise(args: ParsedArgs, ctx: CliContext): number {
  const plan = readPlan(args);
  const targetEpsilon = args.requireNumber("target-epsilon");
  const tolerance = args.number("tolerance", DEFAULT_NOISE_TOLERANCE);
  const answer = asUsage(() =>
    computeNoiseMultiplier({
      targetEpsilon,
      samplingRate: plan.samplingRate,
      steps: plan.steps,
      delta: plan.delta,
      conversion: plan.conversion,
      tolerance,
    }),
  );
  if (args.flag("json")) {
    ctx.print(
      JSON.stringify({
        noiseMultiplier: answer.noiseMultiplier,
        epsilon: answer.epsilon,
        delta: plan.delta,
        order: answer.order,
        tolerance: answer.tolerance,
      }),
    );
  } else {
    ctx.print(
      `noise multiplier ${answer.noiseMultiplier.toFixed(6)} (within +${answer.tolerance} of the minimum) gives ` +
        `ε = ${answer.epsilon.toPrecision(6)} ≤ ${targetEpsilon} at δ = ${plan.delta} (optimal RDP order ${answer.order}) ` +
        `for ${plan.steps} steps at sampling rate ${plan.samplingRate} [${plan.conversion} conversion]`,
    );
  }
  return 0;
}
