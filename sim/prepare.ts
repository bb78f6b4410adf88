// Sets a run up: the output folder, the synthetic hospitals' files, the base model and the evaluation sets.
import { mkdir, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger } from "pino";
import { initBackend } from "../model/backend.ts";
import { loadBaseModel } from "../model/load.ts";
import type { LoadedModel } from "../model/load.ts";
import type { LoraConfig } from "../model/lora.ts";
import type { TrainingPlan } from "./baselines.ts";
import { loadRunDatasets } from "./datasets.ts";
import type { RunDatasets } from "./datasets.ts";
import { generateFederationData, writeFederationData } from "./hospitals.ts";
import type { FederationData, FederationFiles } from "./hospitals.ts";
import type { SimOptions } from "./options.ts";
import { plantPhi } from "./phi/hospital-notes.ts";
import type { IdentifierProbe, PlantedIdentifiers } from "./phi/hospital-notes.ts";
import type { ProgressListener } from "./progress.ts";
import type { SiteSummary } from "./report/metrics.ts";
import { prepareLeakage } from "./leakage/probe.ts";
import type { LeakagePlan } from "./leakage/probe.ts";

/** The output folder already holds something: a run never writes over another. */
export class OutputExistsError extends Error {
  override readonly name = "OutputExistsError";
}

export interface PreparedRun {
  readonly outDir: string;
  readonly data: FederationData;
  readonly files: FederationFiles;
  readonly base: LoadedModel;
  readonly datasets: RunDatasets;
  readonly plan: TrainingPlan;
  readonly sites: readonly SiteSummary[];
  readonly leakage: LeakagePlan;
  /** With --phi: the identifiers written into each site's training notes (empty otherwise). */
  readonly planted: PlantedIdentifiers;
  /** With --phi: one planted record number per site for the rank probe (empty otherwise). */
  readonly identifierProbes: readonly IdentifierProbe[];
}

/** Creates `dir`, refusing one that exists and is not empty. */
export async function createOutputDir(dir: string): Promise<string> {
  const abs = resolve(dir);
  const entries = await readdir(abs).catch(() => []);
  if (entries.length > 0)
    throw new OutputExistsError(`output folder ${abs} is not empty; choose another --out`);
  await mkdir(abs, { recursive: true });
  return abs;
}

/** The LoRA settings every setting of a run shares (FFA-LoRA: A frozen from the seed, exact under sums). */
export function loraConfigOf(options: SimOptions): LoraConfig {
  return {
    r: options.loraRank,
    alpha: options.loraAlpha,
    dropout: 0,
    targetModules: options.loraTargets,
    mode: "ffa",
    seed: options.seed,
  };
}

/** The baselines train one adapter at a time, data-parallel over this machine class's two cores. */
const BASELINE_THREADS = 2;

export function trainingPlanOf(options: SimOptions): TrainingPlan {
  return {
    lora: loraConfigOf(options),
    stepsPerSite: options.rounds * options.localSteps,
    learningRate: options.learningRate,
    batchSize: options.batchSize,
    seqLen: options.seqLen,
    seed: options.seed,
    workers: BASELINE_THREADS,
  };
}

/** The synthetic hospitals of a run: the same seed and settings always give the same records. */
export function generateSimData(options: SimOptions): FederationData {
  return generateFederationData({
    seed: options.seed,
    sites: options.sites,
    concentration: options.concentration,
    examplesPerSite: options.examplesPerSite,
    validationFraction: options.validationFraction,
    maxValidationPerSite: options.maxValidationPerSite,
    testPerCondition: options.testPerCondition,
    labelNoiseScale: options.labelNoiseScale,
    hardQuestionRate: options.hardQuestionRate,
  });
}

export async function prepareRun(
  options: SimOptions,
  logger: Logger,
  progress: ProgressListener,
): Promise<PreparedRun> {
  const outDir = await createOutputDir(options.out);
  progress({ type: "step", text: `writing ${options.sites} synthetic hospitals to ${join(outDir, "data")}` });
  const generated = generateSimData(options);
  const { data, planted, probes } = options.phi
    ? plantPhi(generated, options.seed)
    : { data: generated, planted: new Map(), probes: [] };
  const files = await writeFederationData(join(outDir, "data"), data);
  const leakage = await prepareLeakage(data, files, options);
  progress({ type: "step", text: `loading base model "${options.model}"` });
  await initBackend(logger);
  const base = await loadBaseModel(options.model, logger);
  const datasets = await loadRunDatasets(
    files,
    options.trainFormat,
    base.tokenizer,
    options.seqLen,
    options.phi,
  );
  return {
    outDir,
    data,
    files,
    base,
    datasets,
    plan: trainingPlanOf(options),
    leakage,
    planted,
    identifierProbes: probes,
    sites: data.sites.map((s) => ({
      siteId: s.siteId,
      kind: s.profile.kind,
      displayName: s.profile.displayName,
      trainRecords: s.train.length,
      validationRecords: s.validation.length,
    })),
  };
}
