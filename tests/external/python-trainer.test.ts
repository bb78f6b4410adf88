// The reference Python trainer through the ExternalTrainer: evaluation agrees with the engine; DP-SGD without Opacus is refused.
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { externalTrainerFactory } from "../../client/external/external-trainer.ts";
import { engineTrainerFactory } from "../../client/node/engine-trainer.ts";
import type { Example } from "../../client/data/rows.ts";
import { loadBaseModel, type LoadedModel } from "../../model/load.ts";
import { loraFlatLength, parseLoraConfig } from "../../model/lora-layout.ts";
import type { LoraSettings } from "../../proto/messages.ts";
import { additionRows, silentLogger, startBackend } from "../client/fixtures.ts";
import { PYTHON, SKIP_WITHOUT_TORCH, pythonTrainer } from "./python.ts";

const lora: LoraSettings = {
  r: 4,
  alpha: 8,
  dropout: 0,
  targetModules: ["q_proj", "v_proj"],
  mode: "ffa",
  seed: 7,
};
const validation: Example[] = [
  ...additionRows(5),
  ...Array.from({ length: 4 }, (_, i) => ({
    kind: "mcq" as const,
    question: `Which number is ${i}+1?`,
    labels: ["A", "B", "C"],
    options: [`${i + 1}`, `${i + 3}`, `${i + 5}`],
    answerIndex: 0,
    source: { file: "mcq.jsonl", line: i + 1 },
  })),
];
const hasOpacus = spawnSync(PYTHON, ["-c", "import opacus"], { stdio: "ignore" }).status === 0;

let base: LoadedModel;
beforeAll(async () => {
  await startBackend();
  base = await loadBaseModel("builtin", silentLogger);
});
afterAll(() => base?.model.dispose());

function external() {
  return externalTrainerFactory({
    trainer: pythonTrainer(),
    baseModelDir: base.dir,
    modelConfig: base.model.config,
    tokenizer: base.tokenizer,
    train: additionRows(8),
    validation,
    workDir: mkdtempSync(join(tmpdir(), "fedtune-pytrainer-")),
    logger: silentLogger,
  })(lora, loraFlatLength(base.model.config, parseLoraConfig({ ...lora })));
}

describe.skipIf(SKIP_WITHOUT_TORCH)("reference Python trainer", () => {
  it("evaluates as the built-in engine does: the same loss and multiple-choice accuracy", async () => {
    const python = await external();
    const engine = await engineTrainerFactory({
      model: base.model,
      tokenizer: base.tokenizer,
      train: additionRows(8),
      validation,
      logger: silentLogger,
    })(lora, python.vectorLength);
    const global = python.initialGlobal();
    global.fill(0.02);
    const signal = new AbortController().signal;
    const fromPython = await python.evaluate({ global, signal });
    const fromEngine = await engine.evaluate({ global, signal });
    engine.dispose();
    expect(fromPython.numExamples).toBe(validation.length);
    expect(fromPython.metrics["loss"]).toBeCloseTo(fromEngine.metrics["loss"] ?? Number.NaN, 4);
    expect(fromPython.metrics["accuracy"]).toBe(fromEngine.metrics["accuracy"]);
  }, 60_000);

  it.skipIf(hasOpacus)(
    "refuses a DP-SGD task without Opacus, naming what to install",
    async () => {
      const python = await external();
      const run = python.train({
        global: python.initialGlobal(),
        settings: { localSteps: 2, batchSize: 2, learningRate: 0.01, maxSeqLen: 48, fedproxMu: 0, seed: 1 },
        recordDp: { clipNorm: 1, noiseMultiplier: 1 },
        signal: new AbortController().signal,
      });
      await expect(run).rejects.toThrow(/exited with 3: .*DP-SGD .* Opacus is not installed/);
    },
    60_000,
  );
});
