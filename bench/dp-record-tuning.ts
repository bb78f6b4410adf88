// Record-level DP-SGD settings, tried fast: FedAvg of the sim's hospitals in one process (JSON lines), with
// the real site trainer (engineTrainerFactory: trainLora, DP-SGD, AdamW moments kept per site) and the
// accountant's σ, but without the protocol, secure aggregation, canaries or leakage probes.
// Usage: node bin/run-ts.mjs bench/dp-record-tuning.ts [--examples-per-site 2000 --batch-size 64
//   --rounds 5 --local-steps 6 --lr 0.02 --rank 4 --alpha 16 --clip 1 --target-epsilon 8 | --sigma s | --no-dp --eval-every 5
//   --train-format mcq|instruction --sites 8 --sites-per-round k --lot L]
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { engineTrainerFactory } from "../client/node/engine-trainer.ts";
import type { LocalTrainer } from "../client/node/trainer.ts";
import { initBackend } from "../model/backend.ts";
import { loadBaseModel } from "../model/load.ts";
import { createLoraAdapter } from "../model/lora.ts";
import { addWeighted, emptySum, weightedMean } from "../strategies/index.ts";
import { updateWeight } from "../strategies/weighted-update.ts";
import { loadRunDatasets } from "../sim/datasets.ts";
import { evaluateSet } from "../sim/evaluate.ts";
import { writeFederationData } from "../sim/hospitals.ts";
import { parseSimOptions } from "../sim/options.ts";
import { generateSimData, loraConfigOf } from "../sim/prepare.ts";
import { noiseForEpsilon } from "../sim/privacy-sweep.ts";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    "examples-per-site": { type: "string", default: "2000" },
    "batch-size": { type: "string", default: "64" },
    rounds: { type: "string", default: "5" },
    "local-steps": { type: "string", default: "6" },
    lr: { type: "string", default: "0.02" },
    rank: { type: "string", default: "4" },
    alpha: { type: "string", default: "16" },
    clip: { type: "string", default: "1" },
    "target-epsilon": { type: "string", default: "8" },
    /** A fixed σ instead of the accountant's (0: clipping only). */
    sigma: { type: "string" },
    /** The non-private path (shuffled batches, no clipping or noise), for the same settings side by side. */
    "no-dp": { type: "boolean", default: false },
    "eval-every": { type: "string", default: "5" },
    /** What the sites train on: multiple-choice rows (the evaluation's format) or instruction rows. */
    "train-format": { type: "string", default: "mcq" },
    /** Sites training each round, taken in turn (0: all). */
    "sites-per-round": { type: "string", default: "0" },
    sites: { type: "string", default: "8" },
    /** The lot the accountant charges (default: --batch-size); training runs on --batch-size with σ scaled by batch ÷ lot, so σC/L per coordinate is the real lot's. */
    lot: { type: "string" },
  },
});
const num = (key: keyof typeof values): number => Number(values[key]);
const emit = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ bench: "dp-record-tuning", ...record }) + "\n");
};

const options = parseSimOptions({
  seed: num("seed"),
  sites: num("sites"),
  dp: "record",
  examplesPerSite: num("examples-per-site"),
  batchSize: num("batch-size"),
  rounds: num("rounds"),
  localSteps: num("local-steps"),
  learningRate: num("lr"),
  loraRank: num("rank"),
  loraAlpha: num("alpha"),
  clipNorm: num("clip"),
  trainFormat: values["train-format"] as "mcq" | "instruction",
  out: "unused",
});
const logger = pino({ level: "silent" });
await initBackend(logger);
const base = await loadBaseModel(options.model, logger);
const dataDir = await mkdtemp(join(tmpdir(), "dp-record-tuning-"));
const files = await writeFederationData(dataDir, generateSimData(options));
const datasets = await loadRunDatasets(files, options.trainFormat, base.tokenizer, options.seqLen);
await rm(dataDir, { recursive: true });
const records = datasets.sites.map((s) => s.train.length);
const lot = values.lot === undefined ? options.batchSize : Number(values.lot);
const target = noiseForEpsilon({ ...options, batchSize: lot }, records, num("target-epsilon"));
const sigma =
  values.sigma === undefined ? (target.noiseMultiplier * options.batchSize) / lot : Number(values.sigma);
const accountantSigma = values.sigma === undefined && !values["no-dp"];
emit({
  settings: values,
  records,
  lot,
  sigma: values["no-dp"] ? null : sigma,
  siteEpsilons: accountantSigma ? target.siteEpsilons : null,
});

const lora = loraConfigOf(options);
const trainers: LocalTrainer[] = [];
for (const site of datasets.sites) {
  const factory = engineTrainerFactory({
    model: base.model,
    tokenizer: base.tokenizer,
    train: site.train,
    validation: [],
    logger,
  });
  const adapter = createLoraAdapter(base.model, lora);
  const length = adapter.flatLength;
  adapter.dispose();
  trainers.push(await factory({ ...lora, targetModules: [...lora.targetModules] }, length));
}
const scorer = createLoraAdapter(base.model, lora);
let global = trainers[0]!.initialGlobal();
const sitesPerRound = num("sites-per-round") || trainers.length;
/** Sites take part in turn: round 1 the first sitesPerRound, round 2 the next, wrapping around. */
const takesPart = (site: number, round: number): boolean =>
  (site - (((round - 1) * sitesPerRound) % trainers.length) + trainers.length) % trainers.length <
  sitesPerRound;
const started = process.cpuUsage();
for (let round = 1; round <= options.rounds; round++) {
  let sum = emptySum(global.length);
  const losses: number[] = [];
  for (const [k, trainer] of trainers.entries()) {
    if (!takesPart(k, round)) continue;
    const update = await trainer.train({
      global,
      settings: {
        localSteps: options.localSteps,
        batchSize: options.batchSize,
        learningRate: options.learningRate,
        maxSeqLen: options.seqLen,
        fedproxMu: 0,
        seed: options.seed * 1000 + round * 10 + k,
      },
      recordDp: values["no-dp"] ? undefined : { clipNorm: options.clipNorm, noiseMultiplier: sigma },
      signal: new AbortController().signal,
    });
    losses.push(update.trainLoss);
    sum = addWeighted(sum, { delta: update.delta, weight: updateWeight(update.numExamples) });
  }
  const mean = weightedMean(sum);
  global = global.map((w, i) => w + mean[i]!);
  const cpu = process.cpuUsage(started);
  const record: Record<string, unknown> = {
    round,
    trainLoss: losses.reduce((a, b) => a + b, 0) / losses.length,
    cpuS: (cpu.user + cpu.system) / 1e6,
  };
  if (round % num("eval-every") === 0 || round === options.rounds) {
    scorer.assign(global);
    const test = evaluateSet({ model: base.model, adapter: scorer }, base.tokenizer, datasets.test);
    Object.assign(record, { testAccuracy: test.accuracy, testLoss: test.loss });
  }
  emit(record);
}
