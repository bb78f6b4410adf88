// DP-SGD per-example gradients (JSON lines), side by side on the built-in model and the simulation's
// clinical questions: single passes with per-example FFA-LoRA Bs (dp-sgd.ts), one example at a time at
// its own length (dp-sgd.ts, adapters without the hook), and one at a time at the lot's padded length
// (what DP-SGD did before, reproduced here as the reference).
// Usage: node bin/run-ts.mjs bench/dp-sgd-per-example.ts [--lots 16,64] [--repeats 2] [--seq-len 256]
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { tokenizeRow } from "../client/data/prompt-format.ts";
import { padBatch, splitBatch } from "../client/training/batches.ts";
import type { PaddedBatch } from "../client/training/batches.ts";
import { readFlat } from "../client/training/flat-values.ts";
import { batchLoss } from "../client/training/loss.ts";
import { clipL2 } from "../crypto/dp/clip.ts";
import { dpSgdGradientFn, padLot } from "../client/training/dp-sgd.ts";
import { seededRng } from "../crypto/rng.ts";
import { initBackend } from "../model/backend.ts";
import { loadBaseModel } from "../model/load.ts";
import { createLoraAdapter } from "../model/lora.ts";
import { generateFederationData } from "../sim/hospitals.ts";
import { loraConfigOf } from "../sim/prepare.ts";
import { simOptionsSchema } from "../sim/options.ts";

const { values } = parseArgs({
  options: {
    lots: { type: "string", default: "16,64" },
    repeats: { type: "string", default: "2" },
    "seq-len": { type: "string", default: "256" },
  },
});
const lotSizes = values.lots.split(",").map(Number);
const repeats = Number(values.repeats);
const seqLen = Number(values["seq-len"]);
const emit = (record: Record<string, unknown>): void => {
  process.stdout.write(JSON.stringify({ bench: "dp-sgd-per-example", ...record }) + "\n");
};

const logger = pino({ level: "silent" });
await initBackend(logger);
const base = await loadBaseModel("builtin", logger);
const options = simOptionsSchema.parse({ out: "unused" });
const adapter = createLoraAdapter(base.model, loraConfigOf(options));
const plainHook = { applyLora: adapter.applyLora.bind(adapter) };
const data = generateFederationData({ ...options, sites: 1, examplesPerSite: Math.max(...lotSizes) * 2 });
const rows = (data.sites[0]?.train ?? []).map((r) =>
  tokenizeRow(
    {
      kind: "mcq",
      question: r.mcq.question,
      labels: ["A", "B", "C", "D"],
      options: r.mcq.options,
      answerIndex: r.mcq.answer,
    },
    base.tokenizer,
    seqLen,
  ),
);

/** The earlier per-example loop: every example at the lot's padded length, clipped and summed. */
function paddedLoop(lot: PaddedBatch): void {
  const variables = adapter.trainableVariables();
  for (const example of splitBatch(lot, lot.batchSize)) {
    const { value, grads } = tf.variableGrads(
      () => batchLoss(base.model, plainHook, example, example.scoredTokens),
      variables,
    );
    clipL2(readFlat(variables.map((v) => grads[v.name]!)), 1);
    tf.dispose([value, ...Object.values(grads)]);
  }
}

async function bestOf(run: () => Promise<void> | void): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= repeats; i++) {
    const started = performance.now();
    await run();
    if (i > 0) best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** Best wall time of `repeats` privatised-gradient computations, after one warm-up. */
async function bestMs(hook: typeof plainHook, lotSize: number): Promise<number> {
  const lot = padLot(rows.slice(0, lotSize), base.tokenizer.padId);
  const fn = dpSgdGradientFn(
    base.model,
    hook,
    adapter.trainableVariables(),
    { clipNorm: 1, noiseMultiplier: 1, rng: seededRng(1) },
    lotSize,
  );
  return bestOf(async () => {
    const { grads } = await fn(lot);
    tf.dispose(grads);
  });
}

for (const lotSize of lotSizes) {
  const paddedMs = await bestOf(() => paddedLoop(padBatch(rows.slice(0, lotSize), base.tokenizer.padId)));
  const loopMs = await bestMs(plainHook, lotSize);
  const onePassMs = await bestMs(adapter, lotSize);
  emit({
    lotSize,
    seqLen,
    trainable: adapter.flatLength,
    paddedLoopMs: Math.round(paddedMs),
    ownLengthLoopMs: Math.round(loopMs),
    singlePassMs: Math.round(onePassMs),
    speedupOwnLength: Number((paddedMs / loopMs).toFixed(2)),
    speedupSinglePass: Number((paddedMs / onePassMs).toFixed(2)),
  });
}
adapter.dispose();
base.model.dispose();
