// The leakage probes of a run: canaries planted at one site before training, and after training the
// global adapter's canary exposures and membership-inference AUC on that site's rows.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { loadJsonlDataset } from "../../client/data/load-jsonl.ts";
import { tokenizeRow } from "../../client/data/prompt-format.ts";
import type { Example } from "../../client/data/rows.ts";
import type { LoadedModel } from "../../model/load.ts";
import { loadAdapter } from "../../model/lora-folder.ts";
import { trainFile } from "../datasets.ts";
import type { TrainFormat } from "../datasets.ts";
import { heldOutRecords } from "../hospitals.ts";
import type { FederationData, FederationFiles } from "../hospitals.ts";
import { canaryText, makeCanaries, measureCanaries, plantCanaries } from "./canary.ts";
import type { Canary, CanaryExposure } from "./canary.ts";
import { lossThresholdAttack } from "./membership.ts";
import type { MembershipFigures } from "./membership.ts";

/** What was planted and held out before training, for the probes after it. */
export interface LeakagePlan {
  /** The site whose rows are attacked (and which carries the canaries). */
  readonly siteId: string;
  readonly canaries: readonly Canary[];
  /** Rows from the site's distribution that nobody trains on, in the training format. */
  readonly heldOutFile: string;
  readonly format: TrainFormat;
  readonly seed: number;
  readonly seqLen: number;
}

export interface LeakageFigures {
  readonly siteId: string;
  /** Planted canaries (repetitions ≥ 1) and unplanted controls (repetitions 0). */
  readonly canaries: readonly CanaryExposure[];
  readonly membership: MembershipFigures;
}

/** Held-out rows for the attack: as many as the site trains on, at most this many (scoring time). */
const MAX_ATTACK_ROWS = 200;
/** Sequences per forward pass when ranking candidates (short sentences). */
const CANDIDATE_BATCH = 128;
const ATTACK_BATCH = 16;

/**
 * Plants canaries (when asked) in the first site's training files and writes its held-out rows.
 * The first site is the general hospital, the largest: the hardest place to find one record.
 */
export async function prepareLeakage(
  data: FederationData,
  files: FederationFiles,
  options: {
    readonly seed: number;
    readonly canaries: boolean;
    readonly trainFormat: TrainFormat;
    readonly seqLen: number;
    readonly labelNoiseScale: number;
    readonly hardQuestionRate: number;
  },
): Promise<LeakagePlan> {
  const site = data.sites[0];
  const siteFiles = site === undefined ? undefined : files.sites.get(site.siteId);
  if (site === undefined || siteFiles === undefined) throw new Error("no site to probe");
  const canaries = options.canaries ? makeCanaries(options.seed) : [];
  await plantCanaries([siteFiles.train, siteFiles.trainMcq], canaries);
  const heldOut = heldOutRecords(site, Math.min(site.train.length, MAX_ATTACK_ROWS), options);
  const heldOutFile = join(siteFiles.dir, `held-out${options.trainFormat === "mcq" ? "-mcq" : ""}.jsonl`);
  const rows = heldOut.map((r) => (options.trainFormat === "mcq" ? r.mcq : r.instruction));
  await writeFile(heldOutFile, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  return {
    siteId: site.siteId,
    canaries,
    heldOutFile,
    format: options.trainFormat,
    seed: options.seed,
    seqLen: options.seqLen,
  };
}

function isCanaryRow(example: Example, canaries: readonly Canary[]): boolean {
  return example.kind === "text" && canaries.some((c) => canaryText(c) === example.text);
}

/** Scores the adapter saved in `adapterDir` against the plan: canary exposures and the attack's AUC. */
export async function measureLeakage(
  base: LoadedModel,
  adapterDir: string,
  plan: LeakagePlan,
  siteFiles: FederationFiles,
): Promise<LeakageFigures> {
  const files = siteFiles.sites.get(plan.siteId);
  if (files === undefined) throw new Error(`no files for ${plan.siteId}`);
  const train = await loadJsonlDataset(trainFile(files, plan.format), { strict: true });
  const heldOut = await loadJsonlDataset(plan.heldOutFile, { strict: true });
  const adapter = await loadAdapter(adapterDir, base.model);
  try {
    const lm = { model: base.model, adapter };
    const tokenize = (rows: readonly Example[]) =>
      rows.map((row) => tokenizeRow(row, base.tokenizer, plan.seqLen));
    const members = train.examples.filter((e) => !isCanaryRow(e, plan.canaries)).slice(0, MAX_ATTACK_ROWS);
    return {
      siteId: plan.siteId,
      canaries: measureCanaries(
        lm,
        base.tokenizer,
        plan.canaries,
        { maxEnumerated: 10_000, sampled: 2_000, batchSize: CANDIDATE_BATCH, seqLen: plan.seqLen },
        plan.seed,
      ),
      membership: lossThresholdAttack(
        lm,
        base.tokenizer,
        tokenize(members),
        tokenize(heldOut.examples),
        ATTACK_BATCH,
      ),
    };
  } finally {
    adapter.dispose();
  }
}
