// Loads a run's written site files back through the engine's loader: training rows per site, evaluation sets.
import { loadJsonlDataset } from "../client/data/load-jsonl.ts";
import type { Example, MultipleChoiceRow } from "../client/data/rows.ts";
import type { SiteTrainingData } from "./baselines.ts";
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

/** Loads a multiple-choice file (strict) as an evaluation set. */
export async function loadEvalSet(file: string, tokenizer: EvalTokenizer, seqLen: number): Promise<EvalSet> {
  const ds = await loadJsonlDataset(file, { strict: true });
  return prepareEvalSet(mcqRows(ds.examples, file), tokenizer, seqLen);
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
): Promise<RunDatasets> {
  const sites: SiteTrainingData[] = [];
  for (const [siteId, f] of files.sites) {
    const train = await loadJsonlDataset(trainFile(f, format), { strict: true });
    sites.push({
      siteId,
      train: train.examples,
      validation: await loadEvalSet(f.validationMcq, tokenizer, seqLen),
    });
  }
  return { sites, test: await loadEvalSet(files.testMcq, tokenizer, seqLen) };
}
