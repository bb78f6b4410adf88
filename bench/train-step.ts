// LoRA training-step benchmark (JSON lines): tokens/s and effective GFLOP/s (6·params·tokens/s) of the built-in model
// and a ~30M-parameter LLaMA, 1 and 2 threads, beside a plain 1024×1024 matmul on the same backend, same run.
// Usage: node bin/run-ts.mjs bench/train-step.ts [--steps 6] [--batch-size 4] [--seq-len 128] [--threads 1,2]
//        [--models builtin,llama-30m]
import * as tf from "@tensorflow/tfjs";
import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { initBackend } from "../model/backend.ts";
import { LlamaModel, randomLlamaWeights } from "../model/llama.ts";
import { BUILTIN_MODEL_DIR, loadBaseModel } from "../model/load.ts";
import { createLoraAdapter } from "../model/lora.ts";
import type { TokenizedExample } from "../client/data/prompt-format.ts";
import { GradientWorkerPool } from "../client/training/data-parallel.ts";
import { DEFAULT_LORA_TRAIN_SETTINGS } from "../client/training/train-lora.ts";
import { trainLanguageModel } from "../client/training/train-lm.ts";
import { seededRng } from "../crypto/rng.ts";
import { LLAMA_30M_CONFIG } from "./models.ts";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "6" },
    "warmup-steps": { type: "string", default: "2" },
    "batch-size": { type: "string", default: "4" },
    "seq-len": { type: "string", default: "128" },
    threads: { type: "string", default: "1,2" },
    rank: { type: "string", default: "8" },
    models: { type: "string", default: "builtin,llama-30m" },
  },
});
const steps = Number(values.steps);
const warmup = Number(values["warmup-steps"]);
const batchSize = Number(values["batch-size"]);
const seqLen = Number(values["seq-len"]);
const threadCounts = values.threads.split(",").map(Number);
const rank = Number(values.rank);
const models = new Set(values.models.split(","));
const emit = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ bench: "train-step", ...record }) + "\n");
};

const logger = pino({ level: "silent" });
const backend = await initBackend(logger);

/** GFLOP/s of a [n,n]·[n,n] product (2n³ flops), best of `repeats` after one warm-up. */
function matmulGflops(n: number, repeats: number): number {
  const a = tf.randomNormal([n, n], 0, 1, "float32", 1);
  const b = tf.randomNormal([n, n], 0, 1, "float32", 2);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= repeats; i++) {
    const started = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
    if (i > 0) best = Math.min(best, performance.now() - started);
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

const matmul = matmulGflops(1024, 5);
emit({ kind: "matmul", backend, n: 1024, gflops: matmul });

/** Random token sequences of seqLen tokens, every token after the first scored. */
function randomExamples(vocab: number, count: number): TokenizedExample[] {
  const rng = seededRng("bench-train-step");
  return Array.from({ length: count }, () => {
    const ids = Array.from({ length: seqLen + 1 }, () => rng.nextUint32() % vocab);
    return { ids, lossMask: ids.map((_, t) => (t === 0 ? 0 : 1)) };
  });
}

async function benchModel(name: string, model: LlamaModel): Promise<void> {
  const parameters = model.parameterCount();
  const examples = randomExamples(model.config.vocabSize, batchSize * (steps + warmup));
  for (const threads of threadCounts) {
    const adapter = createLoraAdapter(model, {
      r: rank,
      alpha: 2 * rank,
      dropout: 0.05,
      targetModules: ["q_proj", "v_proj"],
      mode: "ffa",
      seed: 0,
    });
    const pool =
      threads > 1 ? await GradientWorkerPool.start({ model, adapter, threads, seed: 0 }) : undefined;
    const marks: { tokens: number; elapsedMs: number }[] = [];
    await trainLanguageModel({
      model,
      lora: adapter,
      variables: adapter.trainableVariables(),
      examples,
      padId: 0,
      settings: { ...DEFAULT_LORA_TRAIN_SETTINGS, batchSize, steps: steps + warmup },
      ...(pool ? { gradientFn: pool.gradientFn } : {}),
      onProgress: (p) => marks.push({ tokens: p.tokens, elapsedMs: p.elapsedMs }),
    });
    await pool?.close();
    adapter.dispose();
    // Steps after the warm-up ones (which build the model's per-length tables and transposes).
    const from = warmup > 0 ? marks[warmup - 1]! : { tokens: 0, elapsedMs: 0 };
    const to = marks.at(-1)!;
    const tokensPerSecond = ((to.tokens - from.tokens) * 1000) / (to.elapsedMs - from.elapsedMs);
    const gflops = (6 * parameters * tokensPerSecond) / 1e9;
    emit({
      kind: "lora-step",
      model: name,
      backend,
      parameters,
      threads,
      batchSize,
      seqLen,
      rank,
      tokensPerSecond,
      gflops,
      matmulGflops: matmul,
      ratioToMatmul: gflops / matmul,
    });
  }
}

async function benchBuiltin(): Promise<void> {
  const present = await stat(BUILTIN_MODEL_DIR + "/model.safetensors").then(
    () => true,
    () => false,
  );
  if (!present) {
    emit({ kind: "lora-step", model: "builtin", skipped: `no built-in model at ${BUILTIN_MODEL_DIR} yet` });
    return;
  }
  const { model } = await loadBaseModel("builtin", logger);
  await benchModel("builtin", model);
  model.dispose();
}

async function bench30m(): Promise<void> {
  const config = LLAMA_30M_CONFIG;
  const model = LlamaModel.fromWeights(config, randomLlamaWeights(config, 0));
  await benchModel("llama-30m", model);
  model.dispose();
}

if (models.has("builtin")) await benchBuiltin();
if (models.has("llama-30m")) await bench30m();
