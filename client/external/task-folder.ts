// One external-trainer task folder: written fresh per task, read back and checked, then removed.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { z } from "zod";
import type { LlamaConfig } from "../../model/config.ts";
import {
  LoraError,
  checkLoraTensors,
  flattenLoraTensors,
  initialLoraA,
  loraParameterLayout,
  loraTensorsFromFlat,
  type LoraConfig,
} from "../../model/lora-layout.ts";
import { readPeftAdapter, writePeftAdapter } from "../../model/peft.ts";
import { rowToJson, type DatasetRow } from "../data/rows.ts";
import { TrainerFailure } from "../node/trainer.ts";
import {
  ADAPTER_IN_DIR,
  ADAPTER_OUT_DIR,
  EXAMPLES_FILE,
  RESULT_FILE,
  ROWS_FILE,
  TASK_FILE,
  TRAINER_PROTOCOL,
  type EvaluateTaskFile,
  type ExampleLine,
  type TrainTaskFile,
} from "./protocol.ts";

/** What every task folder shares: the base model and the adapter layout. */
export interface TaskContext {
  readonly baseModelDir: string;
  readonly modelConfig: LlamaConfig;
  readonly lora: LoraConfig;
}

/** The task's records: tokenized, and as rows (for trainers that tokenize themselves). */
export interface TaskRecords {
  readonly examples: readonly ExampleLine[];
  /** The rows as the site loaded them: validated, and de-identified when the site's `deid` is on. */
  readonly rows: readonly DatasetRow[];
}

function jsonl(lines: readonly unknown[]): string {
  return lines.map((line) => JSON.stringify(line)).join("\n") + (lines.length > 0 ? "\n" : "");
}

type TaskBody =
  | Omit<TrainTaskFile, keyof ReturnType<typeof commonFields> | "adapterOut">
  | Omit<EvaluateTaskFile, keyof ReturnType<typeof commonFields>>;

function commonFields(context: TaskContext) {
  const { lora } = context;
  return {
    protocol: TRAINER_PROTOCOL,
    baseModel: context.baseModelDir,
    adapter: ADAPTER_IN_DIR,
    lora: {
      r: lora.r,
      alpha: lora.alpha,
      dropout: lora.dropout,
      targetModules: [...lora.targetModules],
      mode: lora.mode,
      useRslora: lora.useRslora ?? false,
    },
    examples: EXAMPLES_FILE,
    rows: [ROWS_FILE],
    result: RESULT_FILE,
  } as const;
}

/**
 * Creates a fresh folder under `parentDir` holding the global adapter (PEFT), the records and
 * task.json; returns the folder. The caller removes it with {@link removeTaskFolder}. The trainer
 * never gets the site's data files: those may hold identifiers that de-identification removed at load.
 */
export async function writeTaskFolder(
  parentDir: string,
  context: TaskContext,
  global: Float32Array,
  records: TaskRecords,
  body: TaskBody,
): Promise<string> {
  const dir = await mkdtemp(join(parentDir, `${body.kind}-`));
  await writePeftAdapter(
    join(dir, ADAPTER_IN_DIR),
    loraTensorsFromFlat(context.modelConfig, context.lora, global),
    context.lora,
    { baseModelNameOrPath: context.baseModelDir },
  );
  await writeFile(join(dir, EXAMPLES_FILE), jsonl(records.examples));
  await writeFile(join(dir, ROWS_FILE), jsonl(records.rows.map(rowToJson)));
  const task = {
    ...commonFields(context),
    ...body,
    ...(body.kind === "train" ? { adapterOut: ADAPTER_OUT_DIR } : {}),
  };
  await writeFile(join(dir, TASK_FILE), JSON.stringify(task, null, 2) + "\n");
  return dir;
}

/** Removes a task folder: it holds the site's records and must not outlive the task. */
export async function removeTaskFolder(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Reads and validates the trainer's result file. */
export async function readTaskResult<T>(dir: string, schema: z.ZodType<T>): Promise<T> {
  let text: string;
  try {
    text = await readFile(join(dir, RESULT_FILE), "utf8");
  } catch {
    throw new TrainerFailure(`external trainer wrote no ${RESULT_FILE}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TrainerFailure(`external trainer's ${RESULT_FILE} is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new TrainerFailure(`external trainer's ${RESULT_FILE} is invalid: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/**
 * Reads the trained adapter and returns its trainable values (flat, layout order). Refuses another
 * rank, missing or extra keys, wrong shapes, non-finite values, and (ffa) an A that moved from the
 * global adapter's: A is frozen from the shared seed, and a moved A would make the sum meaningless.
 */
export async function readTrainedAdapter(dir: string, context: TaskContext): Promise<Float32Array> {
  const { modelConfig, lora } = context;
  try {
    const adapter = await readPeftAdapter(join(dir, ADAPTER_OUT_DIR));
    if (adapter.lora.r !== lora.r)
      throw new LoraError(`the adapter has rank ${adapter.lora.r}, the federation trains rank ${lora.r}`);
    checkLoraTensors(modelConfig, lora, adapter.tensors);
    for (const parameter of loraParameterLayout(modelConfig, lora)) {
      const data = adapter.tensors.get(parameter.key)?.data ?? new Float32Array();
      if (!data.every(Number.isFinite)) throw new LoraError(`${parameter.key} holds non-finite values`);
      if (!parameter.trainable) {
        const frozen = initialLoraA(parameter, lora.seed);
        if (data.some((value, i) => value !== frozen[i]))
          throw new LoraError(`${parameter.key} changed, but A is frozen in ffa mode`);
      }
    }
    return flattenLoraTensors(modelConfig, lora, adapter.tensors);
  } catch (error) {
    if (error instanceof TrainerFailure) throw error;
    throw new TrainerFailure(`external trainer's adapter is unusable: ${(error as Error).message}`);
  }
}
