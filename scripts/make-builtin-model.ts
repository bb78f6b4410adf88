// Builds the built-in base model (model/builtin/): synthetic clinical corpus → byte-level BPE tokenizer → small LLaMA pretrained in tfjs → HF folder + model card.
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import * as tf from "@tensorflow/tfjs";
import { instructionPrompt } from "../client/data/prompt-format.ts";
import { generateGreedy } from "../client/eval/generate.ts";
import { evaluatePerplexity } from "../client/eval/perplexity.ts";
import { GradientWorkerPool } from "../client/training/data-parallel.ts";
import { trainLanguageModel } from "../client/training/train-lm.ts";
import type { TrainProgress } from "../client/training/train-model.ts";
import { initBackend } from "../model/backend.ts";
import { trainByteLevelBpe, writeTokenizerFiles } from "../model/bpe-trainer.ts";
import { parseLlamaConfig, toHfConfig } from "../model/config.ts";
import type { LlamaConfig } from "../model/config.ts";
import { LlamaModel, randomLlamaWeights } from "../model/llama.ts";
import { writeSafetensors } from "../model/safetensors.ts";
import { Tokenizer } from "../model/tokenizer.ts";
import { CONDITIONS } from "../sim/clinical/conditions.ts";
import { corpusRows, packRows, rowTexts } from "./builtin-model-corpus.ts";

/** Everything that decides the result; the model card records it. */
const RECIPE = {
  seed: 1,
  /** Characters of broad clinical text from sim/clinical's pretraining corpus. */
  corpusChars: 2_600_000,
  /** Instruction and multiple-choice rows about conditions, treatments, tests and abbreviations. */
  instructionRows: 3_000,
  /** Textbook sentences that name a condition after its clues (see clueSentence). */
  clueSentences: 5_000,
  heldOutChars: 30_000,
  vocabSize: 1024,
  specialTokens: { bos: "<s>", eos: "</s>", pad: "<pad>" },
  seqLen: 256,
  batchSize: 8,
  steps: 1500,
  learningRate: 3e-3,
  warmupSteps: 20,
  minLearningRateRatio: 0.1,
  weightDecay: 0.1,
  clipNorm: 1,
  initStd: 0.02,
  /**
   * Data-parallel threads (client/training/data-parallel.ts), the main one included. Each batch is split
   * into this many shards, so it is part of the recipe: another count changes the result by float rounding.
   */
  threads: 4,
  architecture: {
    model_type: "llama",
    hidden_size: 128,
    intermediate_size: 352,
    num_hidden_layers: 4,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-5,
    rope_theta: 10_000,
    tie_word_embeddings: true,
    max_position_embeddings: 256,
  },
} as const;

const SAMPLE_PROMPTS = [
  "Myocardial infarction is",
  "S: 67-year-old man, complains of",
  "For community-acquired pneumonia, the usual treatment is",
  `${instructionPrompt({ instruction: "List the typical symptoms of asthma." })}`,
  "Common abbreviations\nSOB:",
];

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

function modelCard(info: {
  config: LlamaConfig;
  parameters: number;
  weightBytes: number;
  corpus: { rows: number; chars: number; trainTokens: number; heldOutTokens: number };
  steps: number;
  lossCurve: readonly (readonly [number, number])[];
  heldOut: { meanNll: number; perplexity: number; tokens: number };
  backend: string;
  trainMs: number;
  totalMs: number;
  samples: readonly (readonly [string, string])[];
}): string {
  const c = info.config;
  const r = RECIPE;
  const curve = info.lossCurve.map(([step, loss]) => `| ${step} | ${loss.toFixed(3)} |`).join("\n");
  const samples = info.samples
    .map(
      ([prompt, completion]) =>
        `**Prompt:**\n\n\`\`\`\n${prompt}\n\`\`\`\n\n**Greedy completion:**\n\n\`\`\`\n${completion}\n\`\`\``,
    )
    .join("\n\n");
  return `---
license: apache-2.0
language: en
tags: [llama, clinical, synthetic, fedtune]
pipeline_tag: text-generation
---

# fedtune built-in clinical base model

A small LLaMA-architecture language model that ships with fedtune as the default base model for
federated LoRA fine-tuning. It was pretrained from scratch on synthetic clinical text that the project
generates (sim/clinical/): notes in several house styles, textbook entries on ${CONDITIONS.length} conditions,
symptoms, findings, investigations, treatments, abbreviations and reference ranges. **It knows no real
patients and is not a medical device**; it exists so that fine-tuning and the federation have a model
that learns visibly in minutes on a laptop CPU.

## Architecture

| | |
| --- | --- |
| type | \`LlamaForCausalLM\` (model_type \`llama\`) |
| hidden size | ${c.hiddenSize} |
| layers | ${c.numLayers} |
| attention heads / key-value heads | ${c.numHeads} / ${c.numKvHeads} (grouped-query attention), head dim ${c.headDim} |
| MLP | SwiGLU, intermediate size ${c.intermediateSize} |
| normalisation | RMSNorm, eps ${c.rmsNormEps} |
| positions | rotary (rope_theta ${c.ropeTheta}), trained on ${r.seqLen}-token windows |
| embeddings | tied input/output, vocabulary ${c.vocabSize} |
| parameters | ${info.parameters.toLocaleString("en-US")} |
| weights | float32 safetensors, ${(info.weightBytes / 1e6).toFixed(2)} MB |

## Tokenizer

Byte-level BPE (model/bpe-trainer.ts) with ${c.vocabSize} tokens: 3 special tokens
(\`${r.specialTokens.bos}\`, \`${r.specialTokens.eos}\`, \`${r.specialTokens.pad}\`), the 256 byte tokens and
${c.vocabSize - 259} merges learned on the training corpus. Pre-tokenization uses Qwen2's split pattern
(single digits) followed by GPT-2's byte-to-unicode mapping; \`tokenizer.json\` loads in HF \`tokenizers\`
and \`transformers\` (\`PreTrainedTokenizerFast\`), which add \`${r.specialTokens.bos}\` before each sequence.

## Training data

${info.corpus.rows.toLocaleString("en-US")} documents, ${(info.corpus.chars / 1e6).toFixed(2)} M characters, ${info.corpus.trainTokens.toLocaleString("en-US")} tokens:

- ${r.corpusChars.toLocaleString("en-US")} characters from \`generatePretrainingCorpus\` (sim/clinical/corpus.ts):
  clinical notes (narrative, SOAP and triage styles, with varying abbreviation rates, sometimes with a plan),
  textbook entries, treatment sentences, abbreviation glossaries, reference ranges and ward handovers;
- ${r.clueSentences.toLocaleString("en-US")} textbook sentences that name a condition after its clues (symptoms, signs,
  test results, abnormal labs), e.g. "Fever, cough and pleuritic chest pain suggest pneumonia." A causal language
  model learns associations only in the order it reads them (Berglund et al. 2023, "the reversal curse"), and the
  entries above mostly name the condition first;
- ${r.instructionRows.toLocaleString("en-US")} rows in fedtune's fine-tuning formats (Alpaca-style instruction
  rows and multiple-choice questions, as client/data/prompt-format.ts lays them out): symptoms, treatments and
  tests of a condition, abbreviation expansion, reference ranges, note → triage summary, and "which of these
  is a treatment for …".

No document pairs a patient note with its diagnosis, so the vignette → diagnosis task that \`fedtune sim\`
evaluates is left for fine-tuning. Every document is \`${r.specialTokens.bos} … ${r.specialTokens.eos}\`; documents are
concatenated and cut into ${r.seqLen}-token windows.

## Training

Full-parameter pretraining with fedtune's own training loop (client/training, TensorFlow.js, backend
\`${info.backend}\`): AdamW (β = 0.9, 0.999; weight decay ${r.weightDecay}), peak learning rate ${r.learningRate},
${r.warmupSteps} warm-up steps then cosine decay to ${r.minLearningRateRatio * 100}%, gradient clipping at ${r.clipNorm},
batch ${r.batchSize} × ${r.seqLen} tokens split over ${r.threads} data-parallel threads, ${info.steps} steps (${(info.steps * r.batchSize * r.seqLen).toLocaleString("en-US")} tokens),
initialisation N(0, ${r.initStd}), seed ${r.seed}. Training took ${formatDuration(info.trainMs)} (whole recipe
${formatDuration(info.totalMs)}) on a 2-core machine.

Training loss (mean token NLL, nats, averaged over the preceding steps):

| step | loss |
| --- | --- |
${curve}

Held-out text (${info.heldOut.tokens.toLocaleString("en-US")} tokens of fresh documents from the same generators, other seed):
mean NLL **${info.heldOut.meanNll.toFixed(3)}** nats/token, perplexity **${info.heldOut.perplexity.toFixed(2)}**
(a uniform guess over the vocabulary has perplexity ${c.vocabSize}).

## Sample generations (greedy)

${samples}

## Reproduce

\`\`\`
node bin/run-ts.mjs scripts/make-builtin-model.ts
\`\`\`

The recipe is deterministic in its seed (corpus, tokenizer, initialisation, data order) and rewrites this
folder, model card included. Options: \`--out <dir>\` (default model/builtin), \`--steps <n>\`.
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: "string", default: "model/builtin" }, steps: { type: "string" } },
  });
  const outDir = resolve(values.out);
  const steps = values.steps === undefined ? RECIPE.steps : Number.parseInt(values.steps, 10);
  if (!Number.isInteger(steps) || steps <= 0) throw new RangeError(`--steps must be a positive integer`);
  const started = performance.now();
  const log = (message: string): void =>
    console.log(`[${formatDuration(performance.now() - started)}] ${message}`);
  const logger = pino({ level: "info" }, pino.destination(2));
  const backend = await initBackend(logger);

  const seed = String(RECIPE.seed);
  const rows = corpusRows(seed, RECIPE.corpusChars, RECIPE.instructionRows, RECIPE.clueSentences);
  const chars = rows.flatMap(rowTexts).reduce((n, t) => n + t.length, 0);
  log(`corpus: ${rows.length} documents, ${chars} characters`);

  const tokenizerFiles = trainByteLevelBpe(rows.flatMap(rowTexts), {
    vocabSize: RECIPE.vocabSize,
    specialTokens: RECIPE.specialTokens,
    modelMaxLength: RECIPE.architecture.max_position_embeddings,
  });
  await mkdir(outDir, { recursive: true });
  await writeTokenizerFiles(outDir, tokenizerFiles);
  const tokenizer = new Tokenizer(tokenizerFiles.tokenizerJson, tokenizerFiles.tokenizerConfig);
  log(`tokenizer: ${tokenizer.vocabSize} tokens`);

  const train = packRows(rows, tokenizer, RECIPE.seqLen);
  const heldOutRows = corpusRows(`${seed}/held-out`, RECIPE.heldOutChars, 40, 60);
  const heldOut = packRows(heldOutRows, tokenizer, RECIPE.seqLen);
  const trainTokens = train.length * RECIPE.seqLen;
  log(
    `packed: ${train.length} training windows (${trainTokens} tokens, ${(chars / trainTokens).toFixed(2)} chars/token), ${heldOut.length} held-out`,
  );

  const config = parseLlamaConfig({
    ...RECIPE.architecture,
    vocab_size: tokenizer.vocabSize,
    bos_token_id: tokenizer.bosId,
    eos_token_id: tokenizer.eosId,
    pad_token_id: tokenizer.padId,
  });
  const model = LlamaModel.fromWeights(
    config,
    randomLlamaWeights(config, `fedtune/builtin/${seed}/init`, { std: RECIPE.initStd }),
  );
  model.setBaseTrainable(true);
  log(
    `model: ${model.parameterCount()} parameters; training ${steps} steps of ${RECIPE.batchSize}×${RECIPE.seqLen} tokens`,
  );

  const lossCurve: [number, number][] = [];
  const reportEvery = Math.max(1, Math.round(steps / 20));
  let windowLoss = 0;
  let windowSteps = 0;
  const trainStarted = performance.now();
  const onProgress = (p: TrainProgress): void => {
    windowLoss += p.loss;
    windowSteps += 1;
    if (p.step % reportEvery !== 0 && p.step !== p.totalSteps && p.step !== 1) return;
    const mean = windowLoss / windowSteps;
    lossCurve.push([p.step, mean]);
    windowLoss = 0;
    windowSteps = 0;
    const etaMs = (p.elapsedMs / p.step) * (p.totalSteps - p.step);
    log(
      `step ${p.step}/${p.totalSteps} loss ${mean.toFixed(3)} lr ${p.learningRate.toExponential(2)} ` +
        `|g| ${p.gradNorm.toFixed(2)} ${Math.round(p.tokensPerSecond)} tok/s eta ${formatDuration(etaMs)}`,
    );
  };
  const pool = await GradientWorkerPool.start({ model, threads: RECIPE.threads, seed: RECIPE.seed });
  const result = await trainLanguageModel({
    model,
    gradientFn: pool.gradientFn,
    variables: model.trainableVariables(),
    examples: train,
    padId: tokenizer.padId,
    settings: {
      learningRate: RECIPE.learningRate,
      warmupSteps: RECIPE.warmupSteps,
      schedule: "cosine",
      minLearningRateRatio: RECIPE.minLearningRateRatio,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-8,
      weightDecay: RECIPE.weightDecay,
      clipNorm: RECIPE.clipNorm,
      gradAccumSteps: 1,
      batchSize: RECIPE.batchSize,
      steps,
      epochs: 1,
      seed: RECIPE.seed,
      proximalMu: 0,
    },
    onProgress,
  }).finally(() => pool.close());
  const trainMs = performance.now() - trainStarted;
  model.setBaseTrainable(false);

  const evaluation = evaluatePerplexity({ model }, heldOut, {
    batchSize: RECIPE.batchSize,
    padId: tokenizer.padId,
  });
  log(
    `held-out: mean NLL ${evaluation.meanNll.toFixed(3)}, perplexity ${evaluation.perplexity.toFixed(2)} over ${evaluation.tokens} tokens`,
  );

  const samples: [string, string][] = SAMPLE_PROMPTS.map((prompt) => {
    const ids = generateGreedy({ model }, tokenizer.encode(prompt, { addBos: true }), {
      maxTokens: 40,
      stopIds: [tokenizer.eosId],
      contextLength: RECIPE.seqLen,
    });
    const completion = tokenizer.decode(ids);
    log(`sample: ${JSON.stringify(prompt)} → ${JSON.stringify(completion)}`);
    return [prompt, completion];
  });

  const weights = model.exportWeights();
  const weightPath = join(outDir, "model.safetensors");
  // transformers refuses safetensors files whose metadata lacks format "pt".
  await writeSafetensors(weightPath, weights, { metadata: { format: "pt" } });
  const weightBytes = [...weights.values()].reduce((n, t) => n + 4 * t.data.length, 0);
  await writeFile(join(outDir, "config.json"), `${JSON.stringify(toHfConfig(config), null, 2)}\n`);
  await writeFile(
    join(outDir, "generation_config.json"),
    `${JSON.stringify(
      {
        bos_token_id: tokenizer.bosId,
        eos_token_id: tokenizer.eosId,
        pad_token_id: tokenizer.padId,
        do_sample: false,
        max_new_tokens: 64,
      },
      null,
      2,
    )}\n`,
  );
  await writeFile(
    join(outDir, "README.md"),
    modelCard({
      config,
      parameters: model.parameterCount(),
      weightBytes,
      corpus: { rows: rows.length, chars, trainTokens, heldOutTokens: heldOut.length * RECIPE.seqLen },
      steps: result.steps,
      lossCurve,
      heldOut: evaluation,
      backend,
      trainMs,
      totalMs: performance.now() - started,
      samples,
    }),
  );
  model.dispose();
  log(`wrote ${outDir} (tf tensors left: ${tf.memory().numTensors})`);
}

await main();
