// Tokens/s of the reference Python trainer (an external trainer) against the built-in engine, same model, rows,
// batches and machine, side by side in one run (JSON lines). The Python figure is given twice: wall (process
// start, model load and adapter I/O included, what a round costs) and steady (its own per-step rate).
// Usage: node bin/run-ts.mjs bench/external-trainer.ts [--steps 8] [--batch-size 4] [--seq-len 128]
//        [--threads 1] [--models builtin,llama-30m] [--backend pytorch|auto|hf] [--python python3]
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { externalTrainerFactory } from "../client/external/external-trainer.ts";
import { referenceTrainerCommand } from "../client/external/reference-trainer.ts";
import { engineTrainerFactory } from "../client/node/engine-trainer.ts";
import type { Example } from "../client/data/rows.ts";
import type { LocalTrainer } from "../client/node/trainer.ts";
import { seededRng } from "../crypto/rng.ts";
import { initBackend } from "../model/backend.ts";
import { toHfConfig } from "../model/config.ts";
import { LlamaModel, randomLlamaWeights } from "../model/llama.ts";
import { loadBaseModel } from "../model/load.ts";
import { loraFlatLength, parseLoraConfig } from "../model/lora-layout.ts";
import { serializeSafetensors } from "../model/safetensors.ts";
import type { TrainingSettings } from "../proto/messages.ts";
import { BENCH_LORA, LLAMA_30M_CONFIG } from "./models.ts";

const { values } = parseArgs({
  options: {
    steps: { type: "string", default: "8" },
    "batch-size": { type: "string", default: "4" },
    "seq-len": { type: "string", default: "128" },
    threads: { type: "string", default: "1" },
    models: { type: "string", default: "builtin,llama-30m" },
    backend: { type: "string", default: "pytorch" },
    python: { type: "string" },
  },
});
const steps = Number(values.steps);
const batchSize = Number(values["batch-size"]);
const seqLen = Number(values["seq-len"]);
const threads = values.threads;
const emit = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ bench: "external-trainer", ...record }) + "\n");
};
const silent = pino({ level: "silent" });
const engineBackend = await initBackend(silent);
const lora = BENCH_LORA;
const training: TrainingSettings = {
  localSteps: steps,
  batchSize,
  learningRate: 1e-3,
  maxSeqLen: seqLen + 1,
  fedproxMu: 0,
  seed: 3,
};

/** Random token rows of seqLen + 1 tokens: every step trains on batchSize · seqLen tokens. */
function rows(vocab: number): Example[] {
  const rng = seededRng("bench-external-trainer");
  return Array.from({ length: batchSize * steps }, (_, i) => ({
    kind: "input_ids",
    inputIds: Array.from({ length: seqLen + 1 }, () => 3 + (rng.nextUint32() % (vocab - 3))),
    source: { file: "bench.jsonl", line: i + 1 },
  }));
}

/** Collects the Python trainer's progress lines (its steady tokens/s) from the site log. */
function progressLogger(): { logger: pino.Logger; rates: number[] } {
  const rates: number[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) {
        if (line === "") continue;
        const record = JSON.parse(line) as { trainer?: { tokensPerSecond?: number } };
        const rate = record.trainer?.tokensPerSecond;
        if (typeof rate === "number") rates.push(rate);
      }
      done();
    },
  });
  return { logger: pino({ level: "info" }, sink), rates };
}

async function timed(trainer: LocalTrainer): Promise<number> {
  const started = performance.now();
  await trainer.train({
    global: trainer.initialGlobal(),
    settings: training,
    recordDp: undefined,
    signal: new AbortController().signal,
  });
  return (performance.now() - started) / 1000;
}

async function benchModel(name: string, model: LlamaModel, dir: string): Promise<void> {
  const { tokenizer } = await loadBaseModel("builtin", silent);
  const vocab = model.config.vocabSize;
  // Rows are token ids, so the tokenizer only bounds them by the vocabulary.
  const promptTokenizer = {
    vocabSize: vocab,
    bosId: tokenizer.bosId,
    eosId: tokenizer.eosId,
    hasBos: tokenizer.hasBos,
    padId: tokenizer.padId,
    encode: tokenizer.encode.bind(tokenizer),
  };
  const train = rows(vocab);
  const vectorLength = loraFlatLength(model.config, parseLoraConfig({ ...lora }));
  const tokens = steps * batchSize * seqLen;
  const parameters = model.parameterCount();
  const engine = await engineTrainerFactory({
    model,
    tokenizer: promptTokenizer,
    train,
    validation: [],
    logger: silent,
    workers: Number(threads),
  })(lora, vectorLength);
  await timed(engine); // warm-up: per-length tables and transposes
  const engineSeconds = await timed(engine);
  engine.dispose();
  const engineRate = tokens / engineSeconds;
  emit({
    model: name,
    trainer: "engine",
    backend: engineBackend,
    parameters,
    threads,
    tokens,
    seconds: engineSeconds,
    tokensPerSecond: engineRate,
  });

  const { logger, rates } = progressLogger();
  const command = referenceTrainerCommand({
    backend: values.backend as "pytorch",
    ...(values.python === undefined ? {} : { python: values.python }),
  });
  const python = await externalTrainerFactory({
    trainer: { ...command, env: { ...command.env, OMP_NUM_THREADS: threads } },
    baseModelDir: dir,
    modelConfig: model.config,
    tokenizer: promptTokenizer,
    train,
    validation: [],
    workDir: mkdtempSync(join(tmpdir(), "fedtune-bench-tasks-")),
    logger,
  })(lora, vectorLength);
  const pythonSeconds = await timed(python);
  const steady = rates.at(-1) ?? Number.NaN;
  emit({
    model: name,
    trainer: "python",
    backend: values.backend,
    parameters,
    threads,
    tokens,
    seconds: pythonSeconds,
    tokensPerSecond: tokens / pythonSeconds,
    steadyTokensPerSecond: steady,
  });
  emit({
    model: name,
    kind: "ratio",
    pythonOverEngineWall: engineSeconds / pythonSeconds,
    pythonSteadyOverEngine: steady / engineRate,
  });
}

if (values.models.includes("builtin")) {
  const base = await loadBaseModel("builtin", silent);
  await benchModel("builtin", base.model, base.dir);
  base.model.dispose();
}
if (values.models.includes("llama-30m")) {
  const config = LLAMA_30M_CONFIG;
  const weights = randomLlamaWeights(config, 0);
  const dir = mkdtempSync(join(tmpdir(), "fedtune-llama-30m-"));
  writeFileSync(join(dir, "config.json"), JSON.stringify(toHfConfig(config)));
  writeFileSync(join(dir, "model.safetensors"), serializeSafetensors(weights));
  const model = LlamaModel.fromWeights(config, weights);
  await benchModel("llama-30m", model, dir);
  model.dispose();
}
