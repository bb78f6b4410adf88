// A run's federation settings: the part of the config one run trains with, checked by the config's own schema.
import {
  ConfigError,
  crossSectionProblems,
  federationConfigSchema,
  formatProblem,
  parseConfigText,
} from "./config.ts";
import type { FederationConfig } from "./config.ts";
import type { JsonValue } from "./storage/canonical-json.ts";
import type { z } from "zod";

/** What a run sets; the rest of the config (listen address, TLS, storage, deadlines …) is the coordinator's. */
export const runSettingsSchema = federationConfigSchema
  .pick({
    baseModel: true,
    rounds: true,
    privacy: true,
    dp: true,
    training: true,
    evaluation: true,
    strategy: true,
  })
  .partial({ baseModel: true });

export type RunSettings = z.infer<typeof runSettingsSchema>;

/** The first run of a coordinator: its config's federation settings. */
export function runSettingsOf(config: FederationConfig): RunSettings {
  const { baseModel, rounds, privacy, dp, training, evaluation, strategy } = config;
  return { baseModel, rounds, privacy, training, evaluation, strategy, ...(dp === undefined ? {} : { dp }) };
}

/** The config a run's round context works with: the coordinator's, with the run's settings in place. */
export function runConfig(config: FederationConfig, settings: RunSettings): FederationConfig {
  // A run without dp trains without it, whatever the coordinator's config said.
  const withoutDp: FederationConfig = { ...config };
  delete withoutDp.dp;
  return { ...withoutDp, ...settings, baseModel: config.baseModel };
}

/** Settings as the store keeps them (JSON, no undefined fields). */
export function storedRunSettings(settings: RunSettings): JsonValue {
  return JSON.parse(JSON.stringify(settings)) as JsonValue;
}

/**
 * Checks a run file (YAML or JSON) against `config`, the coordinator's: the config's schema and its
 * checks across sections (with the coordinator's sitesPerRound), and the base model, which must be the
 * coordinator's (every site joined with its hash). Throws ConfigError listing every problem.
 */
export function parseRunSettings(text: string, source: string, config: FederationConfig): RunSettings {
  const value = parseConfigText(text, source);
  const parsed = runSettingsSchema.safeParse(value);
  const record = typeof value === "object" && value !== null ? value : {};
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues),
    ...crossSectionProblems({ ...record, sitesPerRound: config.sitesPerRound }),
  ];
  const baseModel = parsed.success ? parsed.data.baseModel : undefined;
  if (baseModel !== undefined) {
    const sameSource = baseModel.source === config.baseModel.source;
    const sameHash = baseModel.sha256 === undefined || baseModel.sha256 === config.baseModel.sha256;
    if (!sameSource || !sameHash)
      problems.push({
        path: ["baseModel"],
        message: `a run trains the coordinator's base model (${config.baseModel.source}); omit baseModel or give the same`,
      });
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(source, problems.map(formatProblem));
  return parsed.data;
}

/** A stored run's settings, checked again as they are read back (a store edited by hand is refused). */
export function readRunSettings(stored: JsonValue, runId: number): RunSettings {
  const parsed = runSettingsSchema.safeParse(stored);
  if (!parsed.success) throw new ConfigError(`run ${runId}`, parsed.error.issues.map(formatProblem));
  return parsed.data;
}
