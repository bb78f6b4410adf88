// The simulation's settings: defaults tuned so that `fedtune sim` alone runs a meaningful federation in minutes on 2 cores.
import { z } from "zod";
import { PRIVACY_MODES } from "../proto/messages.ts";
import type { PrivacyMode } from "../proto/messages.ts";
import type { SiteStage } from "../client/node/site-client.ts";

export const DP_LEVELS = ["none", "record", "site"] as const;
export type DpLevel = (typeof DP_LEVELS)[number];

/** Stages at which a site can drop out (client/node/site-client.ts SiteStage): training, then the SecAgg steps. */
export const FAULT_STAGES = [
  "train",
  "advertise_keys",
  "share_keys",
  "masked_input",
  "consistency",
  "unmask",
  "submit",
] as const satisfies readonly SiteStage[];
export type FaultStage = (typeof FAULT_STAGES)[number];

export const STRATEGY_NAMES = [
  "fedavg",
  "fedavgm",
  "fedprox",
  "fedadam",
  "fedyogi",
  "fedadagrad",
  "fedmedian",
  "trimmed-mean",
  "krum",
] as const;

const probability = z.number().min(0).max(1);

export const simOptionsSchema = z.strictObject({
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1),
  sites: z.number().int().min(2).max(1000).default(8),
  /** Share of the sites picked each round (cross-device style sampling; the coordinator's sitesPerRound.fraction). */
  participation: z.number().gt(0).max(1).default(1),
  rounds: z.number().int().min(1).max(1000).default(12),
  privacy: z.enum(PRIVACY_MODES).default("secagg"),
  strategy: z.enum(STRATEGY_NAMES).default("fedavg"),
  /** Server learning rate η of the strategies that have one; absent: the strategy's own default. */
  serverLearningRate: z.number().positive().optional(),
  dp: z.enum(DP_LEVELS).default("none"),
  /** DP clipping bound: per-example gradient (record) or per-site update (site). */
  clipNorm: z.number().positive().default(1),
  noiseMultiplier: z.number().min(0).default(0.8),
  /** Pick the noise multiplier with the accountant so that every site ends at or below this ε (overrides noiseMultiplier). */
  targetEpsilon: z.number().positive().optional(),
  delta: z.number().gt(0).lt(1).default(1e-5),
  epsilonBudget: z.number().positive().default(50),
  /** Probability that a site drops out of a round, at `dropoutStage`. */
  dropout: probability.default(0),
  dropoutStage: z.enum(FAULT_STAGES).default("train"),
  /** Sites (the first N) that train slowly, each by `slowMs` per round. */
  slowSites: z.number().int().min(0).default(0),
  slowMs: z.number().int().min(0).default(3000),
  /** Sites (the last N) that train with an external trainer (docs/external-trainer.md) instead of the engine. */
  externalSites: z.number().int().min(0).default(0),
  /** The external trainer's argv; absent: the reference Python trainer (client/python-trainer/). */
  externalTrainer: z.array(z.string().min(1)).min(1).optional(),
  /** Stop and restart the coordinator in the middle of the training round after this one (0 = never). */
  restartAfterRound: z.number().int().min(0).default(0),
  /**
   * How site clients are hosted: "process" (child processes, the deployment's shape) or "thread"
   * (virtual sites: worker threads, each hosting many sites over one copy of the base model).
   */
  isolation: z.enum(["process", "thread"]).default("process"),
  /** Processes or threads hosting the site clients; absent: one process per site, or one thread per core; 0: all sites in this process. */
  workers: z.number().int().min(0).max(64).optional(),
  /** Dirichlet concentration of the sites' label mixes (smaller = more skewed). */
  concentration: z.number().positive().default(0.5),
  examplesPerSite: z.number().int().min(8).default(120),
  testPerCondition: z.number().int().min(1).default(1),
  /** Evaluate the global adapter (sites' validation sets, global test set) after every Nth training round and the last. */
  evaluateEvery: z.number().int().min(1).default(2),
  validationFraction: z.number().min(0.05).max(0.5).default(0.12),
  maxValidationPerSite: z.number().int().min(2).default(12),
  labelNoiseScale: z.number().min(0).default(1),
  /** Share of questions whose distractors come from the true condition's category (the hard ones). */
  hardQuestionRate: z.number().min(0).max(1).default(0.2),
  localSteps: z.number().int().min(1).default(12),
  learningRate: z.number().positive().default(2e-2),
  batchSize: z.number().int().min(1).default(4),
  seqLen: z.number().int().min(16).default(256),
  loraRank: z.number().int().min(1).default(8),
  loraAlpha: z.number().positive().default(16),
  loraTargets: z
    .array(z.string().min(1))
    .min(1)
    .default(["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"]),
  model: z.string().min(1).default("builtin"),
  /** Hospitals write identifiers (names, dates, record numbers…) into their training notes; sites de-identify them at load. */
  phi: z.boolean().default(false),
  /** What sites train on: multiple-choice rows (the evaluation's format) or instruction rows. */
  trainFormat: z.enum(["mcq", "instruction"]).default("mcq"),
  /** The preset the defaults came from (sim/presets.ts), for the report. */
  preset: z.string().optional(),
  /** Plant canaries (sim/leakage/canary.ts) at the first site, for the exposure probe; they change its training rows. */
  canaries: z.boolean().default(false),
  out: z.string().min(1),
});

export type SimOptions = z.infer<typeof simOptionsSchema>;
export type SimOptionsInput = z.input<typeof simOptionsSchema>;

/** Parses options, listing every problem; the message is meant for the command line. */
export function parseSimOptions(input: SimOptionsInput): SimOptions {
  const parsed = simOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "options"}: ${i.message}`);
  throw new RangeError(`invalid simulation settings:\n  ${problems.join("\n  ")}`);
}

/** A short name of the privacy setting, e.g. "secagg + site DP (σ=0.8)". */
export function privacyLabel(privacy: PrivacyMode, dp: DpLevel, noiseMultiplier: number): string {
  // σ picked by the accountant has many digits; three decimals name it.
  return dp === "none" ? privacy : `${privacy} + ${dp} DP (σ=${Number(noiseMultiplier.toFixed(3))})`;
}
