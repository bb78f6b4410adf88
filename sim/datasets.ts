// Loads a run's written site files back through the engine's loader: training rows per site, evaluation sets.
import { join } from "node:path";
import { loadJsonlDataset } from "../client/data/load-jsonl.ts";
import type { Dataset } from "../client/data/load-jsonl.ts";
import type { KindCounts } from "../client/deid/spans.ts";
import { rowScrubber } from "../client/deid/rows.ts";
import { DEID_SECRET_FILE, loadOrCreateDeidSecret } from "../client/deid/secret.ts";
import type { Example, MultipleChoiceRow } from "../client/data/rows.ts";
import { prepareEvalSet } from "./evaluate.ts";
import type { EvalSet, EvalTokenizer } from "./evaluate.ts";
import type { FederationFiles, SiteFiles } from "./hospitals.ts";

export type TrainFormat = "mcq" | "instruction";

/** The file a site trains on in `format`. */
export function trainFile(files: SiteFiles, format: TrainFormat): string {
  return format === "mcq" ? files.trainMcq : files.train;
}

function mcqRows(examples: readonly Example[], file: string): MultipleChoiceRow[] {
  return examples.map((e) => {
    if (e.kind !== "mcq")
      throw new Error(`${file}:${e.source.line}: expected a multiple-choice row, got ${e.kind}`);
    return e;
  });
}

/**
 * The de-identification secret of a simulated site: kept in its data folder (the hospital's
 * premises), so that the site client and the baselines trained on its rows replace alike.
 */
export function siteDeidSecretFile(files: SiteFiles): string {
  return join(files.dir, DEID_SECRET_FILE);
}

/**
 * Loads a site's training rows (strict). With a secret file the rows are de-identified as they
 * load (`required`: a row where an SSN- or MRN-shaped string survives is refused, not trained on),
 * and the counts of what was replaced come back with them.
 */
export async function loadSiteTrainRows(
  file: string,
  deidSecretFile: string | undefined,
): Promise<{ dataset: Dataset; replaced: KindCounts | null }> {
  if (deidSecretFile === undefined)
    return { dataset: await loadJsonlDataset(file, { strict: true }), replaced: null };
  const { scrubRow, counts } = rowScrubber(loadOrCreateDeidSecret(deidSecretFile), "required");
  // Not strict: a refused row is counted among the invalid ones and left out, the rest train.
  return { dataset: await loadJsonlDataset(file, { transform: scrubRow }), replaced: counts };
}

/** Loads a multiple-choice file (strict) as an evaluation set. */
export async function loadEvalSet(file: string, tokenizer: EvalTokenizer, seqLen: number): Promise<EvalSet> {
  const ds = await loadJsonlDataset(file, { strict: true });
  return prepareEvalSet(mcqRows(ds.examples, file), tokenizer, seqLen);
}

/** One site's training rows and its own validation set. */
export interface SiteTrainingData {
  readonly siteId: string;
  readonly train: readonly Example[];
  readonly validation: EvalSet;
}

export interface RunDatasets {
  readonly sites: readonly SiteTrainingData[];
  readonly test: EvalSet;
}

/** Reads every site's training rows and validation questions, and the global test questions (strict: any bad row is fatal). */
export async function loadRunDatasets(
  files: FederationFiles,
  format: TrainFormat,
  tokenizer: EvalTokenizer,
  seqLen: number,
  deid = false,
): Promise<RunDatasets> {
  const sites: SiteTrainingData[] = [];
  for (const [siteId, f] of files.sites) {
    const { dataset: train } = await loadSiteTrainRows(
      trainFile(f, format),
      deid ? siteDeidSecretFile(f) : undefined,
    );
    sites.push({
      siteId,
      train: train.examples,
      validation: await loadEvalSet(f.validationMcq, tokenizer, seqLen),
    });
  }
  return { sites, test: await loadEvalSet(files.testMcq, tokenizer, seqLen) };
}
