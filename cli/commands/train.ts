// `fedtune train`: fine-tune a LoRA adapter on a local JSONL file and write it as a PEFT folder.
import { stat } from "node:fs/promises";
import { initBackend } from "../../model/backend.ts";
import { LORA_TARGET_MODULES } from "../../model/architecture.ts";
import { loadBaseModel } from "../../model/load.ts";
import { createLoraAdapter, parseLoraConfig, type LoraMode } from "../../model/lora.ts";
import { saveAdapter } from "../../model/lora-folder.ts";
import {
  DatasetError,
  formatInvalidRow,
  loadJsonlDataset,
  type Dataset,
} from "../../client/data/load-jsonl.ts";
import { createProgressBar } from "../../client/training/progress.ts";
import { LR_SCHEDULES } from "../../client/training/schedule.ts";
import {
  DEFAULT_LORA_TRAIN_SETTINGS,
  trainLora,
  type LoraTrainSettings,
} from "../../client/training/train-lora.ts";
import { UsageError, type CliContext, type Command, type OptionSpec, type ParsedArgs } from "../command.ts";

/** --model, shared with eval and generate. */
export const MODEL_OPTION: OptionSpec = {
  type: "string",
  description: 'Base model: an HF LLaMA-family folder, or "builtin"',
  defaultText: "builtin",
};

/** Logs invalid rows (the first few by file:line) and how many were skipped; refuses a dataset with no valid row left. */
export function reportInvalidRows(dataset: Dataset, ctx: CliContext): void {
  if (dataset.invalid.length > 0) {
    for (const row of dataset.invalid.slice(0, 5)) ctx.logger.warn(formatInvalidRow(row));
    ctx.logger.warn(
      { file: dataset.file, skipped: dataset.invalid.length },
      `skipped ${dataset.invalid.length} invalid rows (use --strict to stop at the first)`,
    );
  }
  if (dataset.examples.length === 0) throw new DatasetError(`${dataset.file} has no valid rows`);
}

const D = DEFAULT_LORA_TRAIN_SETTINGS;

/** A number option within bounds, as a usage error otherwise. */
function bounded(
  args: ParsedArgs,
  name: string,
  fallback: number,
  ok: (v: number) => boolean,
  what: string,
): number {
  const value = args.number(name, fallback);
  if (!ok(value)) throw new UsageError(`--${name} must be ${what}, got ${value}`);
  return value;
}

function positiveInteger(args: ParsedArgs, name: string, fallback: number): number {
  const value = args.integer(name, fallback);
  if (value < 1) throw new UsageError(`--${name} must be a positive integer, got ${value}`);
  return value;
}

function readSettings(args: ParsedArgs): LoraTrainSettings {
  const steps = args.has("steps") ? positiveInteger(args, "steps", 1) : undefined;
  return {
    ...D,
    learningRate: bounded(args, "lr", D.learningRate, (v) => v > 0, "positive"),
    batchSize: positiveInteger(args, "batch-size", D.batchSize),
    seqLen: positiveInteger(args, "seq-len", D.seqLen),
    epochs: bounded(args, "epochs", D.epochs, (v) => v > 0, "positive"),
    ...(steps !== undefined ? { steps } : {}),
    seed: bounded(args, "seed", D.seed, (v) => Number.isSafeInteger(v) && v >= 0, "a non-negative integer"),
    gradAccumSteps: positiveInteger(args, "grad-accum", D.gradAccumSteps),
    warmupSteps: bounded(
      args,
      "warmup",
      D.warmupSteps,
      (v) => Number.isInteger(v) && v >= 0,
      "a non-negative integer",
    ),
    schedule: args.choice("schedule", LR_SCHEDULES, D.schedule),
    weightDecay: bounded(args, "weight-decay", D.weightDecay, (v) => v >= 0, "non-negative"),
    clipNorm:
      args.string("clip-norm") === "none"
        ? null
        : bounded(args, "clip-norm", D.clipNorm ?? 1, (v) => v > 0, 'positive (or "none")'),
  };
}

export const trainCommand: Command = {
  path: ["train"],
  summary: "Fine-tune a LoRA adapter on a local JSONL file",
  details:
    "Rows: instruction/input/output, chat messages, question/options/answer, text, or input_ids.\n" +
    "The loss is taken on responses only (all tokens after the first for text and input_ids rows).\n" +
    "Invalid rows are reported as file:line and skipped; --strict stops at the first.",
  options: {
    model: MODEL_OPTION,
    data: { type: "string", description: "Training data (JSONL)" },
    out: { type: "string", description: "Folder to write the PEFT adapter to" },
    rank: { type: "string", description: "LoRA rank r", defaultText: "8" },
    alpha: { type: "string", description: "LoRA alpha (scaling alpha/r)", defaultText: "16" },
    dropout: { type: "string", description: "LoRA dropout", defaultText: "0.05" },
    targets: {
      type: "string",
      description: `Comma-separated modules to adapt (${LORA_TARGET_MODULES.join(", ")})`,
      defaultText: "q_proj,v_proj",
    },
    "lora-mode": {
      type: "string",
      description: "standard (A and B train) or ffa (A frozen, only B)",
      defaultText: "standard",
    },
    steps: { type: "string", description: "Optimizer steps (overrides --epochs)" },
    epochs: { type: "string", description: "Passes over the data", defaultText: String(D.epochs) },
    lr: { type: "string", description: "Peak learning rate (AdamW)", defaultText: String(D.learningRate) },
    "batch-size": {
      type: "string",
      description: "Examples per micro-batch",
      defaultText: String(D.batchSize),
    },
    "grad-accum": { type: "string", description: "Micro-batches per optimizer step", defaultText: "1" },
    "seq-len": { type: "string", description: "Maximum tokens per example", defaultText: String(D.seqLen) },
    warmup: { type: "string", description: "Warm-up steps", defaultText: "0" },
    schedule: {
      type: "string",
      description: `Decay after warm-up: ${LR_SCHEDULES.join(", ")}`,
      defaultText: D.schedule,
    },
    "weight-decay": {
      type: "string",
      description: "AdamW decoupled weight decay",
      defaultText: String(D.weightDecay),
    },
    "clip-norm": {
      type: "string",
      description: 'Global gradient-norm clip, or "none"',
      defaultText: String(D.clipNorm),
    },
    seed: {
      type: "string",
      description: "Seed for A's initialisation, shuffling and dropout",
      defaultText: "0",
    },
    workers: { type: "string", description: "Threads computing gradients (data-parallel)", defaultText: "1" },
    strict: { type: "boolean", description: "Stop at the first invalid row" },
    quiet: { type: "boolean", description: "No progress bar (nor progress log lines off a terminal)" },
    json: { type: "boolean", description: "Print the summary as one JSON object" },
  },
  async run(args, ctx) {
    const source = args.string("model") ?? "builtin";
    const dataFile = args.requireString("data");
    const out = args.requireString("out");
    const settings = readSettings(args);
    const workers = positiveInteger(args, "workers", 1);
    const mode = args.choice<LoraMode>("lora-mode", ["standard", "ffa"], "standard");
    let lora;
    try {
      lora = parseLoraConfig({
        r: positiveInteger(args, "rank", 8),
        alpha: args.number("alpha", 16),
        dropout: args.number("dropout", 0.05),
        targetModules: args.list("targets") ?? ["q_proj", "v_proj"],
        mode,
        seed: settings.seed,
      });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }

    // Refused before training, not after: saveAdapter would fail only once the run is done.
    if ((await stat(out).catch(() => null))?.isDirectory() === false) {
      throw new UsageError(`--out ${out} exists and is not a folder`);
    }
    const dataset = await loadJsonlDataset(dataFile, { strict: args.flag("strict") });
    reportInvalidRows(dataset, ctx);

    await initBackend(ctx.logger);
    const { model, tokenizer } = await loadBaseModel(source, ctx.logger);
    const adapter = createLoraAdapter(model, lora);
    const bar = createProgressBar({ quiet: args.flag("quiet"), logger: ctx.logger });
    try {
      const result = await trainLora({
        model,
        adapter,
        examples: dataset.examples,
        tokenizer,
        settings,
        logger: ctx.logger,
        onProgress: bar.update,
        workers,
      });
      bar.finish();
      await saveAdapter(out, adapter, { baseModelNameOrPath: source });
      const summary = {
        out,
        examples: result.examples,
        invalidRows: dataset.invalid.length,
        droppedRows: result.dropped.length,
        steps: result.steps,
        tokens: result.tokens,
        meanLoss: result.meanLoss,
        finalLoss: result.lossHistory.at(-1) ?? null,
      };
      if (args.flag("json")) ctx.print(JSON.stringify(summary));
      else
        ctx.print(
          `trained ${summary.steps} steps on ${summary.examples} examples: loss ${result.lossHistory[0]?.toFixed(4)} → ` +
            `${summary.finalLoss?.toFixed(4)}; adapter written to ${out}`,
        );
      return 0;
    } finally {
      bar.finish();
      adapter.dispose();
      model.dispose();
    }
  },
};
