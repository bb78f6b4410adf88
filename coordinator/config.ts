// The federation config (YAML or JSON): parsed and checked once at start, every problem listed.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { ParameterError } from "../crypto/errors.ts";
import { isLoraTargetModule, LORA_TARGET_MODULES } from "../model/architecture.ts";
import { IDENTITY_NAME_PATTERN } from "../crypto/pki/identity.ts";
import { HE_REVEALS, PRIVACY_MODES, type HeReveal, type PrivacyMode } from "../proto/messages.ts";
import { STRATEGY_INPUT, strategyConfigSchema, type StrategyConfig } from "../strategies/config.ts";

/** A config that cannot be used; `problems` holds every one as "path: message". */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid federation config ${source}:\n  ${problems.join("\n  ")}`);
  }
}

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().min(0);
const deadlineMs = positiveInt.max(86_400_000);
const filePath = z.string().min(1);

const baseModelSchema = z.strictObject({
  source: z.string().min(1).describe('"builtin" or the path of an HF model folder.'),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits")
    .optional()
    .describe(
      "SHA-256 of the weights (model/load.ts); sites refuse to join when theirs differs. Omitted = hashed at start.",
    ),
});

const loraSchema = z.strictObject({
  r: positiveInt.max(1024).default(8).describe("LoRA rank."),
  alpha: z
    .number()
    .positive()
    .default(16)
    .describe("LoRA scaling numerator: the update is scaled by alpha / r."),
  dropout: z.number().min(0).lt(1).default(0).describe("Dropout on the LoRA input during local training."),
  targetModules: z
    .array(z.string().refine(isLoraTargetModule, `must be one of ${LORA_TARGET_MODULES.join(", ")}`))
    .min(1)
    .default(["q_proj", "v_proj"])
    .describe("The projections that get a LoRA adapter (HF module names)."),
  mode: z
    .enum(["ffa", "standard"])
    .default("ffa")
    .describe(
      "ffa: FFA-LoRA, A frozen from the seed and only B trained and summed (exact under secure aggregation); standard: A and B both trained and averaged.",
    ),
  seed: nonNegativeInt
    .max(0xffffffff)
    .default(0)
    .describe("Seed of the shared LoRA A initialisation, identical at every site."),
});

const sitesPerRoundSchema = z.strictObject({
  fraction: z.number().gt(0).max(1).default(1).describe("Share of joined sites picked each round."),
  minimum: positiveInt
    .default(2)
    .describe("Fewer survivors than this and the round is abandoned and retried."),
});

const deadlinesSchema = z.strictObject({
  joinMs: deadlineMs.default(300_000).describe("Waiting for enough sites to join before round 1."),
  advertiseKeysMs: deadlineMs
    .default(30_000)
    .describe("SecAgg+ key advertisement (Bell et al. 2020, round 0)."),
  shareKeysMs: deadlineMs.default(30_000).describe("SecAgg+ encrypted share exchange (round 1)."),
  trainMs: deadlineMs.default(600_000).describe("Local training plus upload of the (protected) update."),
  unmaskMs: deadlineMs.default(30_000).describe("SecAgg+ unmasking (round 3)."),
  evalMs: deadlineMs.default(300_000).describe("Evaluation round: metrics submission."),
  keyCeremonyMs: deadlineMs
    .default(120_000)
    .describe("HE key ceremony before the first round (each of its two stages)."),
  decryptionMs: deadlineMs
    .default(120_000)
    .describe(
      "HE decryption of a round's aggregate by t key holders; past it the try is refused and retried.",
    ),
});

const transfersSchema = z.strictObject({
  concurrency: positiveInt
    .max(1024)
    .default(4)
    .describe(
      "Transfers of each kind (uploads, downloads) running at once across all sites; each site holds one at a time.",
    ),
  headerTimeoutMs: deadlineMs
    .default(5_000)
    .describe("An upload whose header has not arrived this long after its turn came is cancelled."),
  stallTimeoutMs: deadlineMs
    .default(30_000)
    .describe("A transfer with no progress (no chunk in, or a chunk not taken) for this long is cancelled."),
});

const secaggSchema = z.strictObject({
  neighbourDegree: positiveInt
    .optional()
    .describe(
      "Neighbours per site in the SecAgg+ graph; omitted = n − 1 (classic SecAgg, Bonawitz et al. 2017).",
    ),
  threshold: z
    .number()
    .int()
    .min(2)
    .optional()
    .describe("Shamir threshold t; omitted = a majority of the round's participants."),
});

const heSchema = z.strictObject({
  threshold: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      "Decryption threshold t of the key holders (n = the sites at the ceremony); omitted = a majority.",
    ),
  reveal: z
    .enum(HE_REVEALS)
    .default("sites")
    .describe(
      "Who combines the decryption shares: the coordinator (then server-side strategies work), or the sites (the coordinator never holds the global adapter).",
    ),
});

const privacySchema = z.strictObject({
  mode: z
    .enum(PRIVACY_MODES)
    .default("secagg")
    .describe(
      "none: plain updates over TLS (debugging, robust strategies); secagg: SecAgg+ masking, the coordinator sees only the sum; he: threshold CKKS, the coordinator sees only ciphertexts.",
    ),
  updateClipNorm: z
    .number()
    .min(0)
    .default(0)
    .describe(
      "L2 bound each site clips its update to without client-level DP (0 = no clip). In secagg mode the fixed-point range ±1 holds the weighted entries n/4096·Δ, so with 0 it only bounds |Δ| by 4096/n per entry.",
    ),
  secagg: secaggSchema
    .default({})
    .describe(
      "SecAgg+ parameters of secagg mode's rounds and of the evaluation rounds of secagg and he mode.",
    ),
  he: heSchema.default({ reveal: "sites" }).describe("Threshold CKKS settings (mode he)."),
});

const dpSchema = z.strictObject({
  level: z
    .enum(["record", "site"])
    .describe("record: DP-SGD at each site (per-example clipping); site: client-level DP on the update."),
  clipNorm: z
    .number()
    .positive()
    .describe("record: per-example gradient bound; site: bound on the site's update Δ."),
  noiseMultiplier: z.number().min(0).describe("Gaussian noise standard deviation as a multiple of clipNorm."),
  delta: z.number().gt(0).lt(1).default(1e-5).describe("The δ of the (ε, δ) guarantee."),
  epsilonBudget: z.number().positive().describe("Each site refuses a round that would take it past this ε."),
});

const trainingSchema = z.strictObject({
  localSteps: positiveInt.default(20).describe("Optimizer steps each site takes per round."),
  learningRate: z.number().positive().default(1e-3).describe("The sites' local (Adam) learning rate."),
  batchSize: positiveInt.default(8).describe("Rows per local step."),
  maxSeqLen: positiveInt.max(8192).default(256).describe("Tokens per row; longer rows are truncated."),
});

const evaluationSchema = z.strictObject({
  everyRounds: nonNegativeInt
    .default(0)
    .describe("Run an evaluation round after every N training rounds (0 = only after the last)."),
});

const roundsSchema = positiveInt.max(100_000);

const tlsSchema = z.strictObject({
  caCert: filePath.describe("The consortium CA's certificate (PEM)."),
  cert: filePath.describe("The coordinator's certificate (PEM, role coordinator)."),
  key: filePath.describe("The coordinator's private key (PEM); must match cert."),
  pkiDir: filePath
    .optional()
    .describe(
      "Folder with revocations.json (`fedtune pki revoke`) and the CA-signed crl.pem relayed to sites at Join (`fedtune pki crl`); defaults to the CA certificate's folder.",
    ),
});

const listenSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be "host:port"')
  .refine((address) => Number(address.slice(address.lastIndexOf(":") + 1)) <= 65_535, "port must be ≤ 65535");

// Sections with defaults, shared by the whole-file schema and the cross-section checks below.
const strategySection = strategyConfigSchema.default({ name: "fedavg", serverLearningRate: 1 });
const privacySection = privacySchema.default(privacySchema.parse({}));
const sitesPerRoundSection = sitesPerRoundSchema.default(sitesPerRoundSchema.parse({}));
const evaluationSection = evaluationSchema.default({ everyRounds: 0 });

export const federationConfigSchema = z.strictObject({
  name: z
    .string()
    .regex(IDENTITY_NAME_PATTERN, "letters, digits, '.', '_' or '-'")
    .default("fedtune")
    .describe("The federation's name, shown to sites, in metrics and in the audit log."),
  baseModel: baseModelSchema.describe("The base model every site fine-tunes."),
  lora: loraSchema
    .default(loraSchema.parse({}))
    .describe("Mirrors model/lora.ts's LoraConfig; FFA-LoRA by default (exact under sum-only aggregation)."),
  rounds: roundsSchema.describe("Training rounds to run."),
  maxAttemptsPerRound: positiveInt
    .default(3)
    .describe("Tries per round before the run stops (a try is abandoned when too few sites survive)."),
  sitesPerRound: sitesPerRoundSection.describe("Which joined sites each round picks."),
  deadlines: deadlinesSchema
    .default(deadlinesSchema.parse({}))
    .describe("Per-stage deadlines; a site that misses one counts as a dropout for that round try."),
  transfers: transfersSchema
    .default(transfersSchema.parse({}))
    .describe("Tensor transfers (update uploads, adapter downloads): memory bound and per-site fairness."),
  strategy: strategySection.describe(
    "How the coordinator turns the round's sum (or updates) into the next global adapter.",
  ),
  privacy: privacySection.describe("How updates are protected on their way to the coordinator."),
  dp: dpSchema
    .optional()
    .describe("Differential privacy; omitted = none (no ε bound on what the adapter reveals)."),
  evaluation: evaluationSection.describe("Evaluation rounds at the sites."),
  training: trainingSchema
    .default(trainingSchema.parse({}))
    .describe("Local training settings sent to the sites."),
  listen: listenSchema
    .default("127.0.0.1:50051")
    .describe('The gRPC address, "host:port" (port 0 = any free port, logged at start).'),
  tls: tlsSchema.describe("Mutual TLS under the consortium's CA."),
  storageDir: filePath
    .default("coordinator-state")
    .describe("SQLite state (sites, rounds, audit log) and checkpoints; a restart resumes from it."),
  metricsPort: nonNegativeInt
    .max(65_535)
    .optional()
    .describe(
      "Prometheus /metrics and the /healthz, /readyz probes (0 = any free port); omitted = no HTTP server.",
    ),
  metricsHost: z
    .string()
    .min(1)
    .default("127.0.0.1")
    .describe(
      'Address the HTTP server (status page, /metrics, probes) binds: loopback by default; any other address (e.g. "0.0.0.0") needs statusTokenFile.',
    ),
  statusTokenFile: filePath
    .optional()
    .describe(
      "File holding the operator token (at least 32 characters); when set, the status page, /api/status and /metrics require it (Bearer header, or the cookie `/?token=` sets), and a non-loopback metricsHost needs it. /healthz and /readyz stay open.",
    ),
});

interface Problem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * Checks between sections. Each section is parsed on its own, so these problems are listed even
 * when unrelated sections are invalid too (a single superRefine would stay silent until the whole
 * object parsed).
 */
export function crossSectionProblems(value: unknown): Problem[] {
  const record = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  const section = <T>(schema: z.ZodType<T>, key: string): T | undefined => {
    const parsed = schema.safeParse(record[key]);
    return parsed.success ? parsed.data : undefined;
  };
  const strategy = section(strategySection, "strategy");
  const privacy = section(privacySection, "privacy");
  const sitesPerRound = section(sitesPerRoundSection, "sitesPerRound");
  const rounds = section(roundsSchema, "rounds");
  const evaluation = section(evaluationSection, "evaluation");
  const problems: Problem[] = [];
  if (strategy !== undefined && privacy !== undefined) {
    const conflict = strategyModeConflict(strategy, privacy.mode, privacy.he.reveal);
    if (conflict !== undefined) problems.push({ path: ["strategy", "name"], message: conflict });
  }
  // he mode runs SecAgg+ too, for its evaluation reports (coordinator/modes/secagg.ts).
  if (privacy !== undefined && privacy.mode !== "none" && sitesPerRound !== undefined) {
    const { minimum } = sitesPerRound;
    const { neighbourDegree, threshold } = privacy.secagg;
    if (minimum < 2) {
      problems.push({
        path: ["sitesPerRound", "minimum"],
        message:
          privacy.mode === "secagg"
            ? "secagg needs at least 2 sites per round (one site's masked sum is its update)"
            : "he needs at least 2 sites per round (one site's evaluation sum is its own figures)",
      });
    }
    if (threshold !== undefined && threshold > minimum) {
      problems.push({
        path: ["privacy", "secagg", "threshold"],
        message: `threshold ${threshold} exceeds sitesPerRound.minimum ${minimum}: a round with the minimum number of survivors could never unmask`,
      });
    }
    // A graph of odd degree on an odd roster gets one more neighbour (crypto/secagg/graph.ts), hence k + 2 holders.
    const mostHolders =
      neighbourDegree === undefined ? undefined : neighbourDegree + 1 + (neighbourDegree % 2);
    if (threshold !== undefined && mostHolders !== undefined && 2 * threshold <= mostHolders) {
      problems.push({
        path: ["privacy", "secagg", "threshold"],
        message: `threshold ${threshold} is not a majority of the up to ${mostHolders} share holders of each secret: a coordinator splitting the survivor list could unmask one site`,
      });
    }
    if (threshold !== undefined && neighbourDegree !== undefined && threshold > neighbourDegree + 1) {
      problems.push({
        path: ["privacy", "secagg", "threshold"],
        message: `threshold ${threshold} exceeds the ${neighbourDegree + 1} share holders of each secret (neighbourDegree + 1)`,
      });
    }
  }
  if (strategy?.name === "krum" && sitesPerRound !== undefined) {
    const { minimum } = sitesPerRound;
    const needed = 2 * strategy.byzantine + 3;
    if (minimum < needed) {
      problems.push({
        path: ["sitesPerRound", "minimum"],
        message: `krum with byzantine = ${strategy.byzantine} needs at least 2f + 3 = ${needed} sites per round (Blanchard et al. 2017)`,
      });
    }
    if (strategy.multi > minimum - strategy.byzantine) {
      problems.push({
        path: ["strategy", "multi"],
        message: `multi must be at most sitesPerRound.minimum − byzantine = ${minimum - strategy.byzantine}`,
      });
    }
  }
  if (rounds !== undefined && evaluation !== undefined && evaluation.everyRounds > rounds) {
    problems.push({
      path: ["evaluation", "everyRounds"],
      message: `evaluation every ${evaluation.everyRounds} rounds never happens within ${rounds} rounds; use 0 to evaluate after the last`,
    });
  }
  return problems;
}

export type FederationConfig = z.infer<typeof federationConfigSchema>;
export type FederationConfigInput = z.input<typeof federationConfigSchema>;

export function formatProblem(problem: {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}): string {
  return `${problem.path.length === 0 ? "(root)" : problem.path.map(String).join(".")}: ${problem.message}`;
}

function resolvePaths(config: FederationConfig, baseDir: string): FederationConfig {
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(baseDir, path));
  const caCert = at(config.tls.caCert);
  return {
    ...config,
    baseModel: {
      ...config.baseModel,
      source: config.baseModel.source === "builtin" ? "builtin" : at(config.baseModel.source),
    },
    tls: {
      caCert,
      cert: at(config.tls.cert),
      key: at(config.tls.key),
      pkiDir: config.tls.pkiDir === undefined ? dirname(caCert) : at(config.tls.pkiDir),
    },
    storageDir: at(config.storageDir),
    ...(config.statusTokenFile === undefined ? {} : { statusTokenFile: at(config.statusTokenFile) }),
  };
}

/**
 * Validates a config value (already parsed from YAML/JSON, or built in code by the simulation).
 * Relative paths are resolved against `baseDir`. Throws ConfigError listing every problem.
 */
export function parseFederationConfig(value: unknown, source: string, baseDir: string): FederationConfig {
  const parsed = federationConfigSchema.safeParse(value);
  const problems = [...(parsed.success ? [] : parsed.error.issues), ...crossSectionProblems(value)];
  if (!parsed.success || problems.length > 0) throw new ConfigError(source, problems.map(formatProblem));
  return resolvePaths(parsed.data, baseDir);
}

/**
 * Parses config text: JSON when the file name ends in .json, else YAML (a superset of JSON).
 * Syntax errors are reported with their line and column.
 */
export function parseFederationConfigText(text: string, source: string, baseDir: string): FederationConfig {
  return parseFederationConfig(parseConfigText(text, source), source, baseDir);
}

/** JSON when `source` ends in .json, else YAML; a syntax error is a ConfigError with its line and column. */
export function parseConfigText(text: string, source: string): unknown {
  let value: unknown;
  if (source.endsWith(".json")) {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(source, [`(syntax): ${(error as Error).message}`]);
    }
  } else {
    const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (document.errors.length > 0) {
      throw new ConfigError(
        source,
        document.errors.map((error) => {
          const position = error.linePos?.[0];
          return `${position === undefined ? "(syntax)" : `line ${position.line}:${position.col}`}: ${error.message.split("\n")[0] ?? ""}`;
        }),
      );
    }
    value = document.toJS();
  }
  return value;
}

/** Reads and validates a config file; relative paths inside it are relative to the file's folder. */
export function loadFederationConfig(path: string): FederationConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [`(file): ${(error as Error).message}`]);
  }
  return parseFederationConfigText(text, path, dirname(resolve(path)));
}

/**
 * The L2 bound the sites clip each update to (0 = none): client-level DP's C, else updateClipNorm. A
 * default L2 clip of 1 would throw away most of a LoRA update's signal (the default simulation stalls).
 */
export function updateClipNormOf(config: FederationConfig): number {
  return config.dp?.level === "site" ? config.dp.clipNorm : config.privacy.updateClipNorm;
}

/**
 * The SecAgg+ graph degree and Shamir threshold for a round try with `participants` sites. A
 * configured threshold is returned as is (never lowered to fit a small round: that would weaken
 * the guarantee silently); the default is a majority of each secret's holders. A configured
 * threshold that is no majority of this round's holders is refused (ParameterError), as every
 * site would refuse it too (crypto/secagg/round.ts, prepareRound).
 */
export function resolveSecAggParameters(
  participants: number,
  settings: FederationConfig["privacy"]["secagg"],
): { readonly neighbourDegree: number; readonly threshold: number } {
  const neighbourDegree = Math.min(settings.neighbourDegree ?? participants - 1, participants - 1);
  const holders = neighbourDegree + 1 + (neighbourDegree % 2 === 1 && participants % 2 === 1 ? 1 : 0);
  const majority = Math.floor(holders / 2) + 1;
  const threshold = settings.threshold ?? majority;
  if (threshold < majority) {
    throw new ParameterError(
      `secagg: threshold ${threshold} is not a majority of the ${holders} share holders of a round with ${participants} sites`,
    );
  }
  return { neighbourDegree, threshold };
}

/** Why `strategy` cannot run under `mode`, or undefined when it can. */
export function strategyModeConflict(
  strategy: StrategyConfig,
  mode: PrivacyMode,
  heReveal: HeReveal = "sites",
): string | undefined {
  const input = STRATEGY_INPUT[strategy.name];
  switch (input) {
    case "sum":
      return undefined;
    case "plaintext-sum":
      return mode === "he" && heReveal === "sites"
        ? `${strategy.name} keeps server optimizer state over the plaintext aggregate, which the coordinator never sees in he mode with reveal: sites; use fedavg or fedprox, privacy.he.reveal: coordinator, or privacy mode secagg`
        : undefined;
    case "individual":
      return mode === "none"
        ? undefined
        : `${strategy.name} needs each site's individual update, which privacy mode ${mode} hides from the coordinator; it runs only with privacy mode none`;
  }
}
