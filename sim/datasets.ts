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
 * A site's own rows, as its site client loads them: strict without de-identification; with a
 * secret file scrubbed as they load (`required`: a row where an SSN- or MRN-shaped string survives
 * is refused and left out, the rest kept), the counts of what was replaced coming back with them.
 */
export interface SiteRows {
  readonly train: Dataset;
  readonly validation: EvalSet;
  /** Identifiers replaced in both files, by kind; null without de-identification. */
  readonly replaced: KindCounts | null;
  /** Rows refused by `required`. */
  readonly refusedRows: number;
}

export async function loadSiteRows(
  files: { readonly train: string; readonly validationMcq: string },
  tokenizer: EvalTokenizer,
  seqLen: number,
  deidSecretFile: string | undefined,
): Promise<SiteRows> {
  // One scrubber for both files: one site's surrogates and counts.
  const deid =
    deidSecretFile === undefined
      ? undefined
      : rowScrubber(loadOrCreateDeidSecret(deidSecretFile), "required");
  const load = (file: string): Promise<Dataset> =>
    loadJsonlDataset(file, deid === undefined ? { strict: true } : { transform: deid.scrubRow });
  const train = await load(files.train);
  const validation = await load(files.validationMcq);
  return {
    train,
    validation: prepareEvalSet(mcqRows(validation.examples, files.validationMcq), tokenizer, seqLen),
    replaced: deid?.counts ?? null,
    refusedRows: train.invalid.length + validation.invalid.length,
  };
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
    const rows = await loadSiteRows(
      { train: trainFile(f, format), validationMcq: f.validationMcq },
      tokenizer,
      seqLen,
      deid ? siteDeidSecretFile(f) : undefined,
    );
    sites.push({ siteId, train: rows.train.examples, validation: rows.validation });
  }
  return { sites, test: await loadEvalSet(files.testMcq, tokenizer, seqLen) };
}
