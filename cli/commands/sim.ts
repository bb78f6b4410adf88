// `fedtune sim` and `fedtune sim compare`: a federation of synthetic hospitals, and the privacy–utility table.
import type { Command, OptionSpec, ParsedArgs } from "../command.ts";
import { UsageError } from "../command.ts";
import { PRIVACY_MODES } from "../../coordinator/strategies/config.ts";
import type { PrivacyMode } from "../../coordinator/strategies/config.ts";
import { runComparison } from "../../sim/compare.ts";
import {
  DP_LEVELS,
  FAULT_STAGES,
  STRATEGY_NAMES,
  parseSimOptions,
  simOptionsSchema,
} from "../../sim/options.ts";
import type { SimOptions, SimOptionsInput } from "../../sim/options.ts";
import { OutputExistsError } from "../../sim/prepare.ts";
import { createProgressDisplay } from "../../sim/progress.ts";
import { runSimulation } from "../../sim/runner.ts";

const DEFAULTS = simOptionsSchema.parse({ out: "runs/sim" });

function spec(description: string, defaultText?: string | number): OptionSpec {
  return defaultText === undefined
    ? { type: "string", description }
    : { type: "string", description, defaultText: String(defaultText) };
}

const SIM_OPTIONS: Record<string, OptionSpec> = {
  sites: spec("Number of synthetic hospitals", DEFAULTS.sites),
  rounds: spec("Training rounds", DEFAULTS.rounds),
  privacy: spec(`Update protection: ${PRIVACY_MODES.join(" | ")}`, DEFAULTS.privacy),
  dp: spec(
    `Differential privacy: ${DP_LEVELS.join(" | ")} (record = DP-SGD, site = client-level)`,
    DEFAULTS.dp,
  ),
  "noise-multiplier": spec("DP noise multiplier σ", DEFAULTS.noiseMultiplier),
  "clip-norm": spec("DP clipping bound (per example or per site update)", DEFAULTS.clipNorm),
  "epsilon-budget": spec("Each site's ε budget; it refuses rounds past it", DEFAULTS.epsilonBudget),
  delta: spec("DP δ", DEFAULTS.delta),
  strategy: spec(`Aggregation strategy: ${STRATEGY_NAMES.join(", ")}`, DEFAULTS.strategy),
  "server-lr": spec(
    "Server learning rate η (fedavg, fedavgm, fedprox and the adaptive strategies)",
    DEFAULTS.serverLearningRate ?? "the strategy's default",
  ),
  dropout: spec("Probability that a site drops out of a round", DEFAULTS.dropout),
  "dropout-stage": spec(`Stage at which dropouts happen: ${FAULT_STAGES.join(", ")}`, DEFAULTS.dropoutStage),
  "slow-sites": spec("How many sites train slowly", DEFAULTS.slowSites),
  "slow-ms": spec("Extra delay per round of a slow site, in ms", DEFAULTS.slowMs),
  "external-sites": spec(
    "How many sites (the last ones) train with an external trainer instead of the built-in engine",
    DEFAULTS.externalSites,
  ),
  "external-trainer": spec(
    "The external trainer's command, space-separated (the task folder is appended)",
    "python3 -m fedtune_trainer (client/python-trainer/)",
  ),
  "restart-after-round": spec(
    "Stop and restart the coordinator in the middle of the round after this one (0 = never)",
    DEFAULTS.restartAfterRound,
  ),
  seed: spec("Seed for data, initialisation and sampling", DEFAULTS.seed),
  out: spec("Output folder (must be empty or absent)", "runs/sim-<seed>-<time>"),
  workers: spec("Processes hosting the sites (0 = in this process)", "one per site"),
  concentration: spec(
    "Dirichlet concentration of label mixes (smaller = more skewed)",
    DEFAULTS.concentration,
  ),
  "examples-per-site": spec("Records of a standard-size site", DEFAULTS.examplesPerSite),
  "test-per-condition": spec("Global test questions per condition", DEFAULTS.testPerCondition),
  "eval-every": spec(
    "Evaluate the global adapter after every Nth training round (and the last)",
    DEFAULTS.evaluateEvery,
  ),
  "local-steps": spec("Optimizer steps per site per round", DEFAULTS.localSteps),
  lr: spec("Learning rate", DEFAULTS.learningRate),
  "batch-size": spec("Batch size", DEFAULTS.batchSize),
  "seq-len": spec("Tokens per sequence", DEFAULTS.seqLen),
  rank: spec("LoRA rank", DEFAULTS.loraRank),
  "lora-targets": spec("Comma-separated modules that get LoRA adapters", DEFAULTS.loraTargets.join(",")),
  "train-format": spec("Rows sites train on: mcq | instruction", DEFAULTS.trainFormat),
  model: spec("Base model: builtin or an HF model folder", DEFAULTS.model),
};

function defaultOut(seed: number, prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `runs/${prefix}-${seed}-${stamp}`;
}

/** Reads the shared flags; values are checked by the options schema, which lists every problem. */
function readOptions(args: ParsedArgs, prefix: string): SimOptions {
  const seed = args.integer("seed", DEFAULTS.seed);
  const input: SimOptionsInput = {
    seed,
    sites: args.integer("sites", DEFAULTS.sites),
    rounds: args.integer("rounds", DEFAULTS.rounds),
    privacy: args.choice("privacy", PRIVACY_MODES, DEFAULTS.privacy),
    dp: args.choice("dp", DP_LEVELS, DEFAULTS.dp),
    noiseMultiplier: args.number("noise-multiplier", DEFAULTS.noiseMultiplier),
    clipNorm: args.number("clip-norm", DEFAULTS.clipNorm),
    epsilonBudget: args.number("epsilon-budget", DEFAULTS.epsilonBudget),
    delta: args.number("delta", DEFAULTS.delta),
    strategy: args.choice("strategy", STRATEGY_NAMES, DEFAULTS.strategy),
    serverLearningRate: args.number("server-lr"),
    dropout: args.number("dropout", DEFAULTS.dropout),
    dropoutStage: args.choice("dropout-stage", FAULT_STAGES, DEFAULTS.dropoutStage),
    slowSites: args.integer("slow-sites", DEFAULTS.slowSites),
    slowMs: args.integer("slow-ms", DEFAULTS.slowMs),
    externalSites: args.integer("external-sites", DEFAULTS.externalSites),
    externalTrainer: args
      .string("external-trainer")
      ?.split(" ")
      .filter((part) => part !== ""),
    restartAfterRound: args.integer("restart-after-round", DEFAULTS.restartAfterRound),
    workers: args.integer("workers"),
    concentration: args.number("concentration", DEFAULTS.concentration),
    examplesPerSite: args.integer("examples-per-site", DEFAULTS.examplesPerSite),
    testPerCondition: args.integer("test-per-condition", DEFAULTS.testPerCondition),
    evaluateEvery: args.integer("eval-every", DEFAULTS.evaluateEvery),
    localSteps: args.integer("local-steps", DEFAULTS.localSteps),
    learningRate: args.number("lr", DEFAULTS.learningRate),
    batchSize: args.integer("batch-size", DEFAULTS.batchSize),
    seqLen: args.integer("seq-len", DEFAULTS.seqLen),
    loraRank: args.integer("rank", DEFAULTS.loraRank),
    loraTargets: args.list("lora-targets") ?? DEFAULTS.loraTargets,
    trainFormat: args.choice("train-format", ["mcq", "instruction"] as const, DEFAULTS.trainFormat),
    model: args.string("model") ?? DEFAULTS.model,
    out: args.string("out") ?? defaultOut(seed, prefix),
  };
  try {
    return parseSimOptions(input);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

/** A run that could not start because of its output folder is the user's input error: exit 1, nothing written. */
async function refuseExistingOutput(
  run: () => Promise<void>,
  ctx: Parameters<Command["run"]>[1],
): Promise<number> {
  try {
    await run();
    return 0;
  } catch (error) {
    if (error instanceof OutputExistsError) {
      ctx.logger.error(error.message);
      return 1;
    }
    throw error;
  }
}

export const simCommand: Command = {
  path: ["sim"],
  summary: "Simulate a federation of synthetic hospitals (the default job)",
  details:
    "Generates synthetic hospitals (non-IID case mixes, house note styles, label noise), issues a PKI, " +
    "starts the real coordinator and one site client per hospital over loopback gRPC with mutual TLS, " +
    "runs the rounds, and writes metrics.json, report.html, charts/*.png and the final PEFT adapter " +
    "into --out. Progress goes to stderr; the summary table to stdout.",
  options: SIM_OPTIONS,
  async run(args, ctx) {
    const options = readOptions(args, "sim");
    return refuseExistingOutput(async () => {
      const progress = createProgressDisplay((line) => process.stderr.write(`${line}\n`));
      const result = await runSimulation(options, ctx.logger, progress);
      for (const line of result.summary) ctx.print(line);
      ctx.print(`report: ${result.reportPath}`);
    }, ctx);
  },
};

export const simCompareCommand: Command = {
  path: ["sim", "compare"],
  summary: "Local vs centralized vs federated (each privacy mode): the privacy–utility table",
  details:
    "Trains the same synthetic sites under local-only training, centralized training (all data pooled, " +
    "the upper bound) and federated training in each --modes privacy mode, without and with DP " +
    "(--dp, default site), and prints accuracy on the global test set and on each site's own " +
    "validation set, ε spent, bytes sent and wall time. Writes the same report files as `fedtune sim`.",
  options: {
    ...SIM_OPTIONS,
    modes: spec("Comma-separated privacy modes to run federated", PRIVACY_MODES.join(",")),
    dp: spec(`DP level of the DP variants: ${DP_LEVELS.join(" | ")} (none skips them)`, "site"),
  },
  async run(args, ctx) {
    const modesRaw = args.list("modes") ?? [...PRIVACY_MODES];
    const modes: PrivacyMode[] = modesRaw.map((m) => {
      const known = PRIVACY_MODES.find((p) => p === m);
      if (known === undefined)
        throw new UsageError(`--modes: unknown privacy mode "${m}" (${PRIVACY_MODES.join(", ")})`);
      return known;
    });
    const options = readOptions(args, "compare");
    const dpLevel = args.choice("dp", DP_LEVELS, "site");
    return refuseExistingOutput(async () => {
      const progress = createProgressDisplay((line) => process.stderr.write(`${line}\n`));
      const result = await runComparison(
        { ...options, dp: "none" },
        { modes, dpLevel },
        ctx.logger,
        progress,
      );
      for (const line of result.summary) ctx.print(line);
      ctx.print(`report: ${result.reportPath}`);
    }, ctx);
  },
};
