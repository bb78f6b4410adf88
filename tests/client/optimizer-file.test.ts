// A trainer built for each round with its AdamW moments in a file trains exactly as one trainer kept for the run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineTrainerFactory } from "../../client/node/engine-trainer.ts";
import { OptimizerFile, type OptimizerStore } from "../../client/node/optimizer-file.ts";
import type { TrainerFactory } from "../../client/node/trainer.ts";
import { loadBaseModel, type LoadedModel } from "../../model/load.ts";
import { loraFlatLength, parseLoraConfig } from "../../model/lora-layout.ts";
import type { LoraSettings, TrainingSettings } from "../../proto/messages.ts";
import { additionRows, silentLogger, startBackend } from "./fixtures.ts";

const rows = additionRows(12);
const lora: LoraSettings = {
  r: 4,
  alpha: 8,
  dropout: 0,
  targetModules: ["q_proj", "v_proj"],
  mode: "standard",
  seed: 7,
};
const training = (seed: number): TrainingSettings => ({
  localSteps: 2,
  batchSize: 4,
  learningRate: 0.01,
  maxSeqLen: 48,
  fedproxMu: 0,
  seed,
});
const signal = new AbortController().signal;

let base: LoadedModel;
let dir: string;
beforeAll(async () => {
  await startBackend();
  base = await loadBaseModel("builtin", silentLogger);
  dir = mkdtempSync(join(tmpdir(), "fedtune-optimizer-"));
});
afterAll(() => {
  base?.model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function factory(optimizerStore?: OptimizerStore): TrainerFactory {
  return engineTrainerFactory({
    model: base.model,
    tokenizer: base.tokenizer,
    train: rows,
    validation: [],
    logger: silentLogger,
    ...(optimizerStore === undefined ? {} : { optimizerStore }),
  });
}

/** Three rounds, each from the last round's trained adapter; `perRound` builds a new trainer for each. */
async function threeRounds(build: TrainerFactory, perRound: boolean): Promise<Float32Array[]> {
  const vectorLength = loraFlatLength(base.model.config, parseLoraConfig({ ...lora }));
  let trainer = await build(lora, vectorLength);
  let global = trainer.initialGlobal();
  const deltas: Float32Array[] = [];
  for (let round = 1; round <= 3; round++) {
    if (perRound && round > 1) trainer = await build(lora, vectorLength);
    const { delta } = await trainer.train({ global, settings: training(round), recordDp: undefined, signal });
    deltas.push(delta);
    global = global.map((v, i) => v + (delta[i] ?? 0));
    if (perRound || round === 3) trainer.dispose();
  }
  return deltas;
}

describe("the optimizer state between rounds", () => {
  it("saved and loaded by OptimizerFile gives the kept trainer's updates, bit for bit", async () => {
    const kept = await threeRounds(factory(), false);
    const file = new OptimizerFile(join(dir, "optimizer-state.bin"));
    const rebuilt = await threeRounds(factory(file), true);
    expect(rebuilt).toEqual(kept);
    // The moments matter: trainers that start a fresh AdamW every round train otherwise from round 2 on.
    const fresh = await threeRounds(factory(), true);
    expect(fresh[0]).toEqual(kept[0]);
    expect(fresh[1]).not.toEqual(kept[1]);
    // A cleared file starts over.
    file.clear();
    expect(file.load()).toBeUndefined();
  }, 120_000);
});
