// The LocalTrainer over an external program (the site's own PyTorch stack): one task folder per task,
// the trainer's output checked (adapter layout, DP settings) before the site protects anything.
import { mkdir } from "node:fs/promises";
import type { Logger } from "pino";
import type { LlamaConfig } from "../../model/config.ts";
import {
  flattenLoraTensors,
  initialLoraTensors,
  loraFlatLength,
  parseLoraConfig,
} from "../../model/lora-layout.ts";
import { tokenizeExamples, tokenizeMultipleChoice, type PromptTokenizer } from "../data/prompt-format.ts";
import type { Example, MultipleChoiceRow } from "../data/rows.ts";
import { shuffledBatchIndices } from "../training/batches.ts";
import { shuffleRng } from "../training/train-lm.ts";
import { DEFAULT_TRAIN_SETTINGS } from "../training/train-model.ts";
import {
  localStepsOf,
  TrainerFailure,
  type LocalTrainer,
  type RecordDp,
  type TrainerFactory,
} from "../node/trainer.ts";
import type { TrainingSettings } from "../../proto/messages.ts";
import {
  evaluateResultSchema,
  trainResultSchema,
  type DpSgdRequest,
  type ExampleLine,
  type TrainResultFile,
} from "./protocol.ts";
import { runTrainerCommand, type TrainerCommand } from "./run-command.ts";
import {
  readTaskResult,
  readTrainedAdapter,
  removeTaskFolder,
  writeTaskFolder,
  type TaskContext,
} from "./task-folder.ts";

export interface ExternalTrainerOptions {
  readonly trainer: TrainerCommand;
  /** The base model folder the trainer loads (the same weights whose hash was checked at Join). */
  readonly baseModelDir: string;
  readonly modelConfig: LlamaConfig;
  /** Tokenizes rows into the examples file, with fedtune's prompt format (the base model's tokenizer). */
  readonly tokenizer: PromptTokenizer;
  /** The site's rows as loaded (de-identified when its `deid` is on): the trainer sees only these. */
  readonly train: readonly Example[];
  readonly validation: readonly Example[];
  /** Task folders are made (and removed) under this folder, e.g. inside the site's state folder. */
  readonly workDir: string;
  readonly logger: Logger;
  /** Mixed into every round's shuffling seed, as the built-in engine does. */
  readonly seedSalt?: number;
}

/** Tolerance for comparing DP values that crossed JSON (printed as decimals by another language). */
const DP_RELATIVE_TOLERANCE = 1e-9;

function sameValue(a: number, b: number): boolean {
  return Math.abs(a - b) <= DP_RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Refuses a result whose DP-SGD differs from what was asked and charged to the ledger: the same σ
 * and sampling rate, and no more steps (fewer spend less). No DP asked: none may be reported either.
 */
export function checkDpSgd(asked: DpSgdRequest | null, applied: TrainResultFile["dpSgd"]): void {
  if (asked === null) {
    if (applied !== null)
      throw new TrainerFailure("external trainer applied DP-SGD that the task did not ask for");
    return;
  }
  if (applied === null)
    throw new TrainerFailure("external trainer did not apply the DP-SGD the task asked for");
  const problems: string[] = [];
  if (!sameValue(applied.noiseMultiplier, asked.noiseMultiplier))
    problems.push(`noise multiplier ${applied.noiseMultiplier}, asked ${asked.noiseMultiplier}`);
  if (!sameValue(applied.samplingRate, asked.samplingRate))
    problems.push(`sampling rate ${applied.samplingRate}, asked ${asked.samplingRate}`);
  if (applied.steps > asked.steps) problems.push(`${applied.steps} steps, asked at most ${asked.steps}`);
  if (problems.length > 0)
    throw new TrainerFailure(`external trainer's DP-SGD differs from the task's: ${problems.join("; ")}`);
}

/** Δ = trained − global, element-wise. */
function difference(trained: Float32Array, global: Float32Array): Float32Array {
  const delta = new Float32Array(trained.length);
  for (let i = 0; i < delta.length; i++) delta[i] = (trained[i] ?? 0) - (global[i] ?? 0);
  return delta;
}

function exampleLines(examples: readonly { ids: number[]; lossMask: number[] }[]): ExampleLine[] {
  return examples.map((example) => ({ input_ids: example.ids, loss_mask: example.lossMask }));
}

export function externalTrainerFactory(options: ExternalTrainerOptions): TrainerFactory {
  return async (settings, vectorLength) => {
    const { modelConfig, tokenizer, train, validation, logger } = options;
    const lora = parseLoraConfig({ ...settings, targetModules: [...settings.targetModules] });
    const length = loraFlatLength(modelConfig, lora);
    if (length !== vectorLength)
      throw new RangeError(`local adapter has ${length} trainable values, the federation ${vectorLength}`);
    await mkdir(options.workDir, { recursive: true });
    const context: TaskContext = { baseModelDir: options.baseModelDir, modelConfig, lora };
    const initial = flattenLoraTensors(modelConfig, lora, initialLoraTensors(modelConfig, lora));

    /** Writes the folder, runs the trainer, and always removes the folder (it holds tokenized records). */
    async function inTaskFolder<T>(
      write: () => Promise<string>,
      signal: AbortSignal,
      read: (dir: string) => Promise<T>,
    ): Promise<T> {
      const dir = await write();
      try {
        await runTrainerCommand(options.trainer, [dir], logger, signal);
        return await read(dir);
      } finally {
        await removeTaskFolder(dir);
      }
    }

    function trainingBody(training: TrainingSettings, exampleCount: number, recordDp: RecordDp | undefined) {
      const steps = localStepsOf(training, exampleCount);
      const seed = (training.seed ^ (options.seedSalt ?? 0)) >>> 0;
      // The ledger charged rate batchSize / rows and these steps (client/node/privacy.ts).
      const dpSgd: DpSgdRequest | null =
        recordDp === undefined
          ? null
          : {
              clipNorm: recordDp.clipNorm,
              noiseMultiplier: recordDp.noiseMultiplier,
              samplingRate: Math.min(1, training.batchSize / Math.max(1, train.length)),
              steps,
            };
      const { beta1, beta2, epsilon, weightDecay, clipNorm } = DEFAULT_TRAIN_SETTINGS;
      return {
        kind: "train" as const,
        training: {
          steps,
          batchSize: training.batchSize,
          learningRate: training.learningRate,
          maxSeqLen: training.maxSeqLen,
          seed,
          proximalMu: training.fedproxMu,
          optimizer: { beta1, beta2, epsilon, weightDecay, clipNorm },
          batches:
            dpSgd === null
              ? [...shuffledBatchIndices(exampleCount, training.batchSize, steps, shuffleRng(seed))]
              : [],
        },
        dpSgd,
      };
    }

    const trainer: LocalTrainer = {
      vectorLength,
      trainExamples: train.length,
      initialGlobal: () => Float32Array.from(initial),
      async train({ global, settings: training, recordDp, signal }) {
        const { examples, dropped } = tokenizeExamples(train, tokenizer, training.maxSeqLen);
        if (dropped.length > 0) logger.warn({ dropped: dropped.length }, "rows left out at tokenization");
        if (examples.length === 0)
          throw new TrainerFailure("no training row has a target token within maxSeqLen");
        const body = trainingBody(training, examples.length, recordDp);
        const { result, trained } = await inTaskFolder(
          () =>
            writeTaskFolder(
              options.workDir,
              context,
              global,
              { examples: exampleLines(examples), rows: train },
              body,
            ),
          signal,
          async (dir) => {
            const result = await readTaskResult(dir, trainResultSchema);
            checkDpSgd(body.dpSgd, result.dpSgd);
            if (result.examples > examples.length)
              throw new TrainerFailure(
                `external trainer reports ${result.examples} examples, it was given ${examples.length}`,
              );
            return { result, trained: await readTrainedAdapter(dir, context) };
          },
        );
        logger.info(
          { steps: result.steps, tokens: result.tokens, finalLoss: result.finalLoss },
          "external training finished",
        );
        return {
          delta: difference(trained, global),
          numExamples: result.examples,
          trainLoss: result.meanLoss,
        };
      },
      async evaluate({ global, signal }) {
        const choiceRows = validation.filter((row): row is Example & MultipleChoiceRow => row.kind === "mcq");
        const texts = validation.filter((row) => row.kind !== "mcq");
        const seqLen = modelConfig.maxPositionEmbeddings;
        const { examples } = tokenizeExamples(texts, tokenizer, seqLen);
        const choices = choiceRows.map((row) => {
          const tokens = tokenizeMultipleChoice(row, tokenizer, seqLen);
          return { context: tokens.context, options: tokens.options, answer: tokens.answerIndex };
        });
        const result = await inTaskFolder(
          () =>
            writeTaskFolder(
              options.workDir,
              context,
              global,
              { examples: exampleLines(examples), rows: validation },
              { kind: "evaluate", choices },
            ),
          signal,
          (dir) => readTaskResult(dir, evaluateResultSchema),
        );
        if (
          result.examples > examples.length ||
          result.questions > choices.length ||
          result.correct > result.questions
        )
          throw new TrainerFailure("external trainer's evaluation counts exceed what it was given");
        const metrics: Record<string, number> = {};
        if (result.scoredTokens > 0) metrics["loss"] = result.nllSum / result.scoredTokens;
        if (result.questions > 0) metrics["accuracy"] = result.correct / result.questions;
        return { numExamples: validation.length, metrics };
      },
      dispose: () => undefined,
    };
    return trainer;
  };
}
