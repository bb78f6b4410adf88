// The external trainer's output is checked before anything is protected: each misbehaviour is refused with its reason.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { externalTrainerFactory } from "../../client/external/external-trainer.ts";
import type { TrainerCommand } from "../../client/external/run-command.ts";
import { TrainerFailure, type RecordDp } from "../../client/node/trainer.ts";
import { loraFlatLength, parseLoraConfig } from "../../model/lora-layout.ts";
import type { LoraSettings, TrainingSettings } from "../../proto/messages.ts";
import { charTokenizer } from "../client/fake-tokenizer.ts";
import { additionRows, silentLogger, tinyConfig } from "../client/fixtures.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const modelConfig = tinyConfig(128);
const lora: LoraSettings = {
  r: 2,
  alpha: 4,
  dropout: 0,
  targetModules: ["q_proj", "v_proj"],
  mode: "ffa",
  seed: 3,
};
const vectorLength = loraFlatLength(modelConfig, parseLoraConfig({ ...lora }));
const training: TrainingSettings = {
  localSteps: 2,
  batchSize: 2,
  learningRate: 0.01,
  maxSeqLen: 64,
  fedproxMu: 0,
  seed: 1,
};
const recordDp: RecordDp = { clipNorm: 1, noiseMultiplier: 1.1 };

function misbehaving(how: string, over: Partial<TrainerCommand> = {}): TrainerCommand {
  return {
    command: [process.execPath, "bin/run-ts.mjs", "tests/external/misbehaving-trainer.ts", how],
    cwd: REPO,
    timeoutSeconds: 60,
    env: {},
    ...over,
  };
}

async function trainWith(trainer: TrainerCommand, dp: RecordDp | undefined = undefined) {
  const workDir = mkdtempSync(join(tmpdir(), "fedtune-refusal-"));
  const local = await externalTrainerFactory({
    trainer,
    baseModelDir: "/nonexistent-model",
    modelConfig,
    tokenizer: charTokenizer,
    train: additionRows(6),
    validation: [],
    workDir,
    logger: silentLogger,
  })(lora, vectorLength);
  const run = local.train({
    global: local.initialGlobal(),
    settings: training,
    recordDp: dp,
    signal: new AbortController().signal,
  });
  return { run, leftBehind: () => readdirSync(workDir) };
}

describe("external trainer refusals", () => {
  it("accepts a trainer that follows the protocol (the control)", async () => {
    const { run, leftBehind } = await trainWith(misbehaving("ok"), recordDp);
    const update = await run;
    expect(update.delta).toHaveLength(vectorLength);
    expect(update.delta.every((v) => Math.abs(v - 0.01) < 1e-7)).toBe(true);
    expect(update.numExamples).toBe(3);
    expect(leftBehind()).toEqual([]);
  }, 30_000);

  const cases: [string, RecordDp | undefined, RegExp][] = [
    ["crash", undefined, /exited with 1: RuntimeError: CUDA out of memory/],
    ["rank", undefined, /rank 4, the federation trains rank 2/],
    ["shape", undefined, /has shape \[33, 2\], expected \[32, 2\]/],
    ["missing", undefined, /adapter is missing .*lora_B/],
    ["moved-a", undefined, /changed, but A is frozen in ffa mode/],
    ["nan", undefined, /non-finite values/],
    ["bad-result", undefined, /result.json is invalid: kind/],
    ["weaker-dp", recordDp, /DP-SGD differs from the task's: noise multiplier 0.55, asked 1.1/],
    ["more-dp-steps", recordDp, /3 steps, asked at most 2/],
    ["skip-dp", recordDp, /did not apply the DP-SGD the task asked for/],
    ["unasked-dp", undefined, /applied DP-SGD that the task did not ask for/],
  ];
  for (const [how, dp, reason] of cases) {
    it(`refuses "${how}"${dp ? " under DP-SGD" : ""}, and leaves no task folder`, async () => {
      const { run, leftBehind } = await trainWith(misbehaving(how), dp);
      await expect(run).rejects.toThrow(TrainerFailure);
      await expect(run).rejects.toThrow(reason);
      expect(leftBehind()).toEqual([]);
    }, 30_000);
  }

  it("keeps the trainer's output out of the summary a decline would carry", async () => {
    const { run } = await trainWith(misbehaving("crash"));
    const failure = await run.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TrainerFailure);
    expect((failure as TrainerFailure).summary).toBe("external trainer exited with 1");
    expect((failure as TrainerFailure).output).toContain("CUDA out of memory");
  }, 30_000);

  it("stops a trainer past its time limit", async () => {
    const { run, leftBehind } = await trainWith(misbehaving("hang", { timeoutSeconds: 2 }));
    await expect(run).rejects.toThrow(/external trainer timed out after 2 s/);
    expect(leftBehind()).toEqual([]);
  }, 30_000);

  it("names a command that cannot start", async () => {
    const { run } = await trainWith(misbehaving("ok", { command: ["/nonexistent/trainer"] }));
    await expect(run).rejects.toThrow(/could not start: spawn \/nonexistent\/trainer ENOENT/);
  });
});
