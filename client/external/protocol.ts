// The external trainer protocol (fedtune-trainer/1): what fedtune writes into a task folder and what it accepts back.
// docs/external-trainer.md describes it for trainer authors; this file is the checked contract.
import { z } from "zod";

export const TRAINER_PROTOCOL = "fedtune-trainer/1";

/** Names inside a task folder (relative to it). */
export const TASK_FILE = "task.json";
export const RESULT_FILE = "result.json";
export const ADAPTER_IN_DIR = "adapter-in";
export const ADAPTER_OUT_DIR = "adapter-out";
export const EXAMPLES_FILE = "examples.jsonl";
export const ROWS_FILE = "rows.jsonl";

const count = z.number().int().nonnegative();
const positive = z.number().positive();
const finite = z.number().finite();

const loraSchema = z.strictObject({
  r: z.number().int().positive(),
  alpha: positive,
  /** Always honoured as given; the reference trainer applies it like PEFT's lora_dropout. */
  dropout: z.number().min(0).lt(1),
  targetModules: z.array(z.string()).min(1),
  /** "ffa": A stays frozen at its value in the global adapter, only B trains; "standard": both. */
  mode: z.enum(["ffa", "standard"]),
  useRslora: z.boolean(),
});

const trainingSchema = z.strictObject({
  /** Optimizer steps to take (one batch each). */
  steps: z.number().int().positive(),
  batchSize: z.number().int().positive(),
  learningRate: z.number().nonnegative(),
  /** Tokens per sequence; examples are already truncated to it. */
  maxSeqLen: z.number().int().min(2),
  seed: count,
  /** FedProx μ: adds μ/2·‖w − w_global‖² over the trainable weights; 0 disables. */
  proximalMu: z.number().nonnegative(),
  /** torch.optim.AdamW's settings, at a constant learning rate. */
  optimizer: z.strictObject({
    beta1: z.number().min(0).lt(1),
    beta2: z.number().min(0).lt(1),
    epsilon: positive,
    weightDecay: z.number().nonnegative(),
    /** Global gradient-norm clip before each step; null: none (ignored under DP-SGD). */
    clipNorm: positive.nullable(),
  }),
  /**
   * Example indices of each step's batch (fedtune's seeded shuffle), so that runs replay exactly.
   * A trainer may follow it (the reference trainer does) or sample its own; under DP-SGD it is empty
   * and the trainer Poisson-samples at dpSgd.samplingRate.
   */
  batches: z.array(z.array(count)),
});

const dpSgdSchema = z.strictObject({
  /** Per-example gradient clip C. */
  clipNorm: positive,
  /** σ: Gaussian noise of standard deviation σ·C on the clipped sum. */
  noiseMultiplier: z.number().nonnegative(),
  /** Poisson sampling rate q of each lot (what the site's privacy ledger was charged). */
  samplingRate: z.number().gt(0).max(1),
  steps: z.number().int().positive(),
});
export type DpSgdRequest = z.infer<typeof dpSgdSchema>;

const commonTask = {
  protocol: z.literal(TRAINER_PROTOCOL),
  /** The base model: an HF LLaMA-family folder (config.json, *.safetensors, tokenizer.json). */
  baseModel: z.string().min(1),
  /** The global adapter, a PEFT folder, relative to the task folder. */
  adapter: z.string().min(1),
  lora: loraSchema,
  /** Tokenized examples (JSONL of {input_ids, loss_mask}), relative to the task folder. */
  examples: z.string().min(1),
  /**
   * The task's rows in fedtune's JSONL formats, relative to the task folder, for trainers that
   * tokenize themselves: the rows behind `examples` as the site loaded them (validated, and
   * de-identified when the site's `deid` is on), never the site's own data files.
   */
  rows: z.array(z.string().min(1)),
  /** Where the trainer writes its result JSON, relative to the task folder. */
  result: z.string().min(1),
};

export const trainTaskSchema = z.strictObject({
  ...commonTask,
  kind: z.literal("train"),
  /** Where the trainer writes the trained adapter (a PEFT folder), relative to the task folder. */
  adapterOut: z.string().min(1),
  training: trainingSchema,
  /** Record-level DP (DP-SGD) to apply, or null. A trainer that cannot apply it must fail. */
  dpSgd: dpSgdSchema.nullable(),
});
export type TrainTaskFile = z.infer<typeof trainTaskSchema>;

export const evaluateTaskSchema = z.strictObject({
  ...commonTask,
  kind: z.literal("evaluate"),
  /** Multiple-choice questions: the option with the largest Σ log p after `context` is the answer. */
  choices: z.array(
    z.strictObject({
      context: z.array(count),
      options: z.array(z.array(count)).min(2),
      answer: count,
    }),
  ),
});
export type EvaluateTaskFile = z.infer<typeof evaluateTaskSchema>;

export const trainResultSchema = z.strictObject({
  protocol: z.literal(TRAINER_PROTOCOL),
  kind: z.literal("train"),
  /** Distinct examples available to training (n_k, the FedAvg weight). */
  examples: z.number().int().positive(),
  steps: z.number().int().positive(),
  /** Tokens processed (inputs, padding excluded). */
  tokens: count,
  /** Mean loss of the last step and over all steps. */
  finalLoss: finite,
  meanLoss: finite,
  /** What DP-SGD actually ran with; null when none was applied. */
  dpSgd: z
    .strictObject({
      samplingRate: z.number().min(0).max(1),
      noiseMultiplier: z.number().nonnegative(),
      steps: count,
    })
    .nullable(),
});
export type TrainResultFile = z.infer<typeof trainResultSchema>;

export const evaluateResultSchema = z.strictObject({
  protocol: z.literal(TRAINER_PROTOCOL),
  kind: z.literal("evaluate"),
  /** Text examples scored, their scored tokens and Σ −log p over those tokens. */
  examples: count,
  scoredTokens: count,
  nllSum: z.number().nonnegative(),
  /** Multiple-choice questions answered, and how many correctly. */
  questions: count,
  correct: count,
});
export type EvaluateResultFile = z.infer<typeof evaluateResultSchema>;

/** One tokenized example line of examples.jsonl. */
export interface ExampleLine {
  readonly input_ids: readonly number[];
  /** 1 where the token is a target of the loss (it is predicted from the tokens before it). */
  readonly loss_mask: readonly number[];
}
