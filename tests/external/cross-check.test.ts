// The reference Python trainer and the built-in engine, same model, rows, seed and settings: the adapters agree.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { externalTrainerFactory } from "../../client/external/external-trainer.ts";
import { engineTrainerFactory } from "../../client/node/engine-trainer.ts";
import type { LocalTrainer } from "../../client/node/trainer.ts";
import { loadBaseModel, type LoadedModel } from "../../model/load.ts";
import { loraFlatLength, parseLoraConfig } from "../../model/lora-layout.ts";
import type { LoraSettings, TrainingSettings } from "../../proto/messages.ts";
import { additionRows, silentLogger, startBackend } from "../client/fixtures.ts";
import { SKIP_WITHOUT_TORCH, pythonTrainer } from "./python.ts";

const rows = additionRows(12);
const training: TrainingSettings = {
  localSteps: 3,
  batchSize: 4,
  learningRate: 0.01,
  maxSeqLen: 48,
  fedproxMu: 0.1,
  seed: 11,
};

/**
 * Agreement after 3 AdamW steps (FedProx on, global-norm clipping on), as the relative L2 distance
 * ‖Δ_py − Δ_engine‖ / ‖Δ_engine‖. Both run float32 with no dropout from the same global adapter and
 * batch plan; only summation order differs (XNNPACK in wasm vs PyTorch's CPU kernels). Measured:
 * 1.3e-6 in both modes (largest entry gap 1e-6 against entries up to 0.03); the bound leaves 75×.
 */
const TOLERANCE = 1e-4;

let base: LoadedModel;
beforeAll(async () => {
  await startBackend();
  base = await loadBaseModel("builtin", silentLogger);
});
afterAll(() => base?.model.dispose());

function norm(values: Float32Array): number {
  return Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
}

async function trainBoth(lora: LoraSettings): Promise<{ engine: Float32Array; python: Float32Array }> {
  const vectorLength = loraFlatLength(base.model.config, parseLoraConfig({ ...lora }));
  const engine: LocalTrainer = await engineTrainerFactory({
    model: base.model,
    tokenizer: base.tokenizer,
    train: rows,
    validation: rows,
    logger: silentLogger,
  })(lora, vectorLength);
  const external: LocalTrainer = await externalTrainerFactory({
    trainer: pythonTrainer(),
    baseModelDir: base.dir,
    modelConfig: base.model.config,
    tokenizer: base.tokenizer,
    train: rows,
    validation: rows,
    workDir: mkdtempSync(join(tmpdir(), "fedtune-xcheck-")),
    logger: silentLogger,
  })(lora, vectorLength);
  try {
    const global = engine.initialGlobal();
    expect(external.initialGlobal()).toEqual(global);
    const signal = new AbortController().signal;
    const fromEngine = await engine.train({ global, settings: training, recordDp: undefined, signal });
    const fromPython = await external.train({ global, settings: training, recordDp: undefined, signal });
    expect(fromPython.numExamples).toBe(fromEngine.numExamples);
    expect(fromPython.trainLoss).toBeCloseTo(fromEngine.trainLoss, 4);
    return { engine: fromEngine.delta, python: fromPython.delta };
  } finally {
    engine.dispose();
    external.dispose();
  }
}

describe.skipIf(SKIP_WITHOUT_TORCH)("python trainer vs built-in engine on the built-in model", () => {
  for (const mode of ["ffa", "standard"] as const) {
    it(`${mode}: the same adapter after 3 steps (relative L2 < ${TOLERANCE})`, async () => {
      const { engine, python } = await trainBoth({
        r: 4,
        alpha: 8,
        dropout: 0,
        targetModules: ["q_proj", "v_proj", "down_proj"],
        mode,
        seed: 7,
      });
      expect(norm(engine)).toBeGreaterThan(0);
      const gap = engine.map((v, i) => v - (python[i] ?? 0));
      expect(norm(gap) / norm(engine)).toBeLessThan(TOLERANCE);
    }, 120_000);
  }
});
