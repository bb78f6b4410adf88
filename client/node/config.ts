// The site config (`fedtune client start --config site.yaml`): parsed once at start, every problem listed.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import { z } from "zod";
import { siteIdSchema } from "../../proto/messages.ts";
import { sitePolicySchema } from "./run-policy.ts";

const filePath = z.string().min(1);

export const siteConfigSchema = z.strictObject({
  name: siteIdSchema
    .optional()
    .describe("This site's name; when set, start and check refuse a certificate issued to another name."),
  coordinator: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be "host:port"')
    .describe("The coordinator's host:port."),
  tls: z
    .strictObject({
      caCert: filePath.describe("The consortium CA's certificate (PEM), from the site's kit."),
      cert: filePath.describe("This site's certificate (PEM), signed by the CA (`fedtune pki sign`)."),
      key: filePath.describe(
        "This site's private key (PEM); it never leaves the site (`fedtune pki request`).",
      ),
    })
    .describe("Mutual TLS under the consortium's CA."),
  baseModel: z
    .string()
    .min(1)
    .default("builtin")
    .describe(
      '"builtin" or the path of the local copy of the federation\'s base model (its hash is checked at Join).',
    ),
  data: z
    .strictObject({
      train: filePath.describe(
        "JSONL rows to train on (docs/operations.md lists the row formats); they never leave the site.",
      ),
      validation: filePath
        .optional()
        .describe("JSONL rows to evaluate on when the coordinator asks; defaults to the training rows."),
      strict: z
        .boolean()
        .default(false)
        .describe(
          "Refuse to start at the first invalid row (as `fedtune train --strict`) instead of skipping it.",
        ),
    })
    .describe("The site's own records; checked at start, before joining."),
  stateDir: filePath
    .default("site-state")
    .describe("Keys, the privacy ledger and other state that must survive a restart."),
  epsilonBudget: z
    .number()
    .positive()
    .optional()
    .describe("This site's own ε cap (the federation's budget applies when smaller)."),
  policy: sitePolicySchema
    .optional()
    .describe(
      "The tasks this site takes: one its policy refuses is declined with the reason, which the coordinator records (docs/operations.md); its ε budget is `epsilonBudget`.",
    ),
  deid: z
    .enum(["off", "on", "required"])
    .default("off")
    .describe(
      "De-identify every row as it is loaded (client/deid): off, on, or required (a row in which an SSN- or MRN-shaped string survives is refused as file:line). The secret lives in stateDir.",
    ),
  workers: z.number().int().min(1).max(64).default(1).describe("Gradient threads for local training."),
  health: z
    .strictObject({
      port: z.number().int().min(0).max(65_535).describe("Port of the probes (0 = any free port)."),
      host: z.string().min(1).default("127.0.0.1").describe("Address the probes bind."),
    })
    .optional()
    .describe(
      "GET /healthz and /readyz (ready once joined) for an orchestrator's probes; omitted = no HTTP server.",
    ),
  trainer: z
    .union([
      z.literal("builtin"),
      z.strictObject({
        command: z
          .array(z.string().min(1))
          .min(1)
          .describe("argv, run without a shell; the task folder's path is appended."),
        cwd: filePath
          .optional()
          .describe("Working folder (relative to this file); defaults to this file's folder."),
        timeoutSeconds: z
          .number()
          .positive()
          .max(7 * 24 * 3600)
          .default(3600)
          .describe("A training task that runs longer is stopped and the round declined."),
        env: z
          .record(z.string(), z.string())
          .default({})
          .describe("Extra environment variables for the trainer."),
      }),
    ])
    .default("builtin")
    .describe(
      'Who trains: "builtin" (the TensorFlow.js engine) or a command speaking fedtune-trainer/1 (docs/external-trainer.md), e.g. the reference PyTorch trainer in client/python-trainer/.',
    ),
});

export type SiteConfig = z.infer<typeof siteConfigSchema>;

export class SiteConfigError extends Error {
  override readonly name = "SiteConfigError";
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid site config ${source}:\n  ${problems.join("\n  ")}`);
  }
}

/** Reads and validates a site config; relative paths are relative to the file's folder. */
export function loadSiteConfig(path: string): SiteConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new SiteConfigError(path, [`(file): ${(error as Error).message}`]);
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new SiteConfigError(
      path,
      document.errors.map(
        (error) => `line ${error.linePos?.[0].line ?? "?"}: ${error.message.split("\n")[0] ?? ""}`,
      ),
    );
  }
  const parsed = siteConfigSchema.safeParse(document.toJS());
  if (!parsed.success) {
    throw new SiteConfigError(
      path,
      parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`),
    );
  }
  const base = dirname(resolve(path));
  const at = (file: string): string => (isAbsolute(file) ? file : resolve(base, file));
  const config = parsed.data;
  return {
    ...config,
    tls: { caCert: at(config.tls.caCert), cert: at(config.tls.cert), key: at(config.tls.key) },
    baseModel: config.baseModel === "builtin" ? "builtin" : at(config.baseModel),
    data: {
      strict: config.data.strict,
      train: at(config.data.train),
      ...(config.data.validation === undefined ? {} : { validation: at(config.data.validation) }),
    },
    stateDir: at(config.stateDir),
    trainer:
      config.trainer === "builtin" ? "builtin" : { ...config.trainer, cwd: at(config.trainer.cwd ?? ".") },
  };
}
