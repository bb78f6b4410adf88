// The coordinator's federation config for a simulated run, built from the simulation's options and its PKI.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseFederationConfig } from "../coordinator/config.ts";
import type { FederationConfig, FederationConfigInput } from "../coordinator/config.ts";
import type { SimOptions } from "./options.ts";
import type { RunPki } from "./pki.ts";
import { loraConfigOf } from "./prepare.ts";

/** Whether the run injects dropouts, slow sites or a coordinator restart (rounds may then lose sites). */
export function faultsInjected(options: SimOptions): boolean {
  return options.dropout > 0 || options.restartAfterRound > 0 || options.slowSites > 0;
}

/** Stage deadlines of a simulated run: generous for training on 2 cores, short for the key stages. */
export interface SimDeadlines {
  readonly trainMs: number;
  readonly keyStageMs: number;
}

/** Sites picked per round: ⌈participation · sites⌉ (coordinator/round/plan.ts pickParticipants). */
export function sitesPerRoundOf(options: SimOptions): number {
  return Math.max(2, Math.ceil(options.participation * options.sites));
}

export function deadlinesOf(options: SimOptions): SimDeadlines {
  // A site trains localSteps steps of ~1 s per 4 examples while sharing the cores with the others (a
  // lot of 64 takes ~16 times one of 4); slow sites add slowMs.
  const perStepMs = 1_500 * Math.max(1, options.batchSize / 4);
  const trainMs = Math.max(
    60_000,
    options.localSteps * sitesPerRoundOf(options) * perStepMs + options.slowMs * 2,
  );
  return { trainMs, keyStageMs: 30_000 };
}

/** The federation's settings for a simulated run: everything but where it listens, its PKI and its state. */
export function federationSettingsOf(
  options: SimOptions,
  baseModelHash: string,
  evaluateEveryRounds: number,
): Omit<FederationConfigInput, "listen" | "tls" | "storageDir"> {
  const deadlines = deadlinesOf(options);
  return {
    name: "fedtune-sim",
    baseModel: { source: options.model, sha256: baseModelHash },
    lora: { ...loraConfigOf(options), targetModules: [...options.loraTargets] },
    rounds: options.rounds,
    // The picked share of the sites takes part; with faults injected, a round may finish with half of them.
    sitesPerRound: {
      fraction: options.participation,
      minimum: faultsInjected(options)
        ? Math.max(2, Math.ceil(sitesPerRoundOf(options) / 2))
        : sitesPerRoundOf(options),
    },
    deadlines: {
      joinMs: 120_000,
      advertiseKeysMs: deadlines.trainMs,
      shareKeysMs: deadlines.keyStageMs,
      trainMs: deadlines.trainMs,
      unmaskMs: deadlines.keyStageMs,
      evalMs: deadlines.trainMs,
      keyCeremonyMs: 120_000,
    },
    strategy: {
      name: options.strategy,
      ...(options.serverLearningRate === undefined ? {} : { serverLearningRate: options.serverLearningRate }),
    },
    privacy: { mode: options.privacy },
    ...(options.dp === "none"
      ? {}
      : {
          dp: {
            level: options.dp,
            clipNorm: options.clipNorm,
            noiseMultiplier: options.noiseMultiplier,
            delta: options.delta,
            epsilonBudget: options.epsilonBudget,
          },
        }),
    evaluation: { everyRounds: evaluateEveryRounds },
    training: {
      localSteps: options.localSteps,
      learningRate: options.learningRate,
      batchSize: options.batchSize,
      maxSeqLen: options.seqLen,
    },
  };
}

/**
 * The config as the coordinator would read it from coordinator.yaml. `listen` is a loopback
 * address; port 0 picks a free port, and a restart reuses the port the first start got. An
 * evaluation round after every `evaluateEveryRounds` training rounds (0: after the last only)
 * has each site score the global adapter on its own validation set.
 */
export function federationConfigInput(
  options: SimOptions,
  pki: RunPki,
  storageDir: string,
  baseModelHash: string,
  listen: string,
  evaluateEveryRounds: number,
): FederationConfigInput {
  return {
    ...federationSettingsOf(options, baseModelHash, evaluateEveryRounds),
    listen,
    tls: { caCert: pki.caCert, cert: pki.coordinator.cert, key: pki.coordinator.key, pkiDir: pki.dir },
    storageDir,
  };
}

/** Validates the config like `fedtune coordinator start` would, and writes it to <runDir>/coordinator.yaml for reference. */
export async function writeFederationConfig(
  runDir: string,
  input: FederationConfigInput,
): Promise<FederationConfig> {
  const file = join(runDir, "coordinator.yaml");
  const config = parseFederationConfig(input, file, runDir);
  await writeFile(
    file,
    `# Written by fedtune sim: the coordinator's config for this run.\n${stringify(input)}`,
  );
  return config;
}
