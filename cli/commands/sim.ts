// `fedtune sim` and `fedtune sim compare`: a federation of synthetic hospitals, and the privacy–utility table.
import type { Command, OptionSpec, ParsedArgs } from "../command.ts";
import { UsageError } from "../command.ts";
import { PRIVACY_MODES } from "../../proto/messages.ts";
import type { PrivacyMode } from "../../proto/messages.ts";
import { runComparison } from "../../sim/compare.ts";
import {
  DP_LEVELS,
  FAULT_STAGES,
  STRATEGY_NAMES,
  parseSimOptions,
  simOptionsSchema,
} from "../../sim/options.ts";
import type { SimOptions, SimOptionsInput } from "../../sim/options.ts";
import { emitK8s } from "../../sim/emit-k8s.ts";
import { OutputExistsError, createOutputDir } from "../../sim/prepare.ts";
import { createProgressDisplay } from "../../sim/progress.ts";
import { PRESETS, presetDefaults } from "../../sim/presets.ts";
import { SWEEP_EPSILONS } from "../../sim/privacy-sweep.ts";
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
  participation: spec("Share of the sites picked each round (0 < p ≤ 1)", DEFAULTS.participation),
  isolation: spec(
    "Site hosting: process (one process per site, the deployment's shape) | thread (virtual sites in worker threads)",
    DEFAULTS.isolation,
  ),
  workers: spec(
    "Processes or threads hosting the sites (0 = in this process)",
    "one process per site, or one thread per core",
  ),
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
  preset: spec(
    `Start from a named set of defaults: ${Object.keys(PRESETS).join(", ")} (explicit flags still win)`,
  ),
  "target-epsilon": spec("Pick the DP noise multiplier with the accountant so every site ends at ε ≤ this"),
  canaries: {
    type: "boolean",
    description:
      "Plant canaries (random record numbers, 1, 4 and 16 times) at the first site and report their exposure",
  },
  phi: {
    type: "boolean",
    description:
      "Hospitals' training notes carry identifiers (names, dates, record numbers, …); each site de-identifies them as it loads them",
  },
};

/** `fedtune sim` only: write the federation as Kubernetes manifests instead of running it here. */
const EMIT_OPTIONS: Record<string, OptionSpec> = {
  emit: spec("k8s: write Kubernetes manifests for this federation into --out instead of running it"),
  image: spec("--emit k8s: the fedtune container image (deploy/Dockerfile)", "fedtune:latest"),
  "storage-size": spec("--emit k8s: size of each state volume claim", "1Gi"),
};

function defaultOut(seed: number, prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `runs/${prefix}-${seed}-${stamp}`;
}

/** Reads the shared flags; values are checked by the options schema, which lists every problem. */
function readOptions(args: ParsedArgs, prefix: string): SimOptions {
  let defaults: SimOptions;
  try {
    defaults = simOptionsSchema.parse({ ...presetDefaults(args.string("preset")), out: "unused" });
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`--preset: ${error.message}`);
    throw error;
  }
  const seed = args.integer("seed", defaults.seed);
  const input: SimOptionsInput = {
    seed,
    sites: args.integer("sites", defaults.sites),
    rounds: args.integer("rounds", defaults.rounds),
    privacy: args.choice("privacy", PRIVACY_MODES, defaults.privacy),
    dp: args.choice("dp", DP_LEVELS, defaults.dp),
    noiseMultiplier: args.number("noise-multiplier", defaults.noiseMultiplier),
    // An explicit noise multiplier wins over the preset's target ε.
    targetEpsilon:
      args.number("target-epsilon") ?? (args.has("noise-multiplier") ? undefined : defaults.targetEpsilon),
    clipNorm: args.number("clip-norm", defaults.clipNorm),
    epsilonBudget: args.number("epsilon-budget", defaults.epsilonBudget),
    delta: args.number("delta", defaults.delta),
    strategy: args.choice("strategy", STRATEGY_NAMES, defaults.strategy),
    serverLearningRate: args.number("server-lr"),
    dropout: args.number("dropout", defaults.dropout),
    dropoutStage: args.choice("dropout-stage", FAULT_STAGES, defaults.dropoutStage),
    slowSites: args.integer("slow-sites", defaults.slowSites),
    slowMs: args.integer("slow-ms", defaults.slowMs),
    restartAfterRound: args.integer("restart-after-round", defaults.restartAfterRound),
    participation: args.number("participation", defaults.participation),
    isolation: args.choice("isolation", ["process", "thread"] as const, defaults.isolation),
    externalSites: args.integer("external-sites", defaults.externalSites),
    externalTrainer: args
      .string("external-trainer")
      ?.split(" ")
      .filter((part) => part !== ""),
    workers: args.integer("workers"),
    concentration: args.number("concentration", defaults.concentration),
    examplesPerSite: args.integer("examples-per-site", defaults.examplesPerSite),
    testPerCondition: args.integer("test-per-condition", defaults.testPerCondition),
    evaluateEvery: args.integer("eval-every", defaults.evaluateEvery),
    localSteps: args.integer("local-steps", defaults.localSteps),
    learningRate: args.number("lr", defaults.learningRate),
    batchSize: args.integer("batch-size", defaults.batchSize),
    seqLen: args.integer("seq-len", defaults.seqLen),
    loraRank: args.integer("rank", defaults.loraRank),
    loraTargets: args.list("lora-targets") ?? defaults.loraTargets,
    trainFormat: args.choice("train-format", ["mcq", "instruction"] as const, defaults.trainFormat),
    model: args.string("model") ?? defaults.model,
    canaries: args.flag("canaries") || defaults.canaries,
    preset: defaults.preset,
    phi: args.flag("phi"),
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
  options: { ...SIM_OPTIONS, ...EMIT_OPTIONS },
  async run(args, ctx) {
    const options = readOptions(args, "sim");
    if (args.string("emit") !== undefined) {
      args.choice("emit", ["k8s"] as const, "k8s");
      return refuseExistingOutput(async () => {
        const dir = await createOutputDir(options.out);
        const emitted = await emitK8s(
          options,
          {
            image: args.string("image") ?? "fedtune:latest",
            storageSize: args.string("storage-size") ?? "1Gi",
          },
          dir,
        );
        ctx.print(
          `${emitted.objects.length} objects in ${emitted.files.length} files: kubectl apply -f ${dir}`,
        );
      }, ctx);
    }
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
    epsilons: spec(
      `Privacy–utility sweep: comma-separated target ε (inf = no DP), one federated run each in the first mode, e.g. ${SWEEP_EPSILONS.map((e) => (Number.isFinite(e) ? String(e) : "inf")).join(",")}`,
    ),
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
    const epsilons = (args.list("epsilons") ?? []).map((e) => {
      const value = e === "inf" ? Number.POSITIVE_INFINITY : Number(e);
      if (!(value > 0)) throw new UsageError(`--epsilons: "${e}" is not a positive number or inf`);
      return value;
    });
    if (epsilons.length > 0 && dpLevel === "none")
      throw new UsageError("--epsilons needs --dp record or site");
    return refuseExistingOutput(async () => {
      const progress = createProgressDisplay((line) => process.stderr.write(`${line}\n`));
      const result = await runComparison(
        { ...options, dp: "none" },
        { modes, dpLevel, epsilons },
        ctx.logger,
        progress,
      );
      for (const line of result.summary) ctx.print(line);
      ctx.print(`report: ${result.reportPath}`);
    }, ctx);
  },
};
