// Backend selection: the automatic choice, FEDTUNE_BACKEND overrides, failures, one log line, idempotence.
import * as tf from "@tensorflow/tfjs";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BackendError, initBackend } from "../../model/backend.ts";
import { LlamaModel, randomLlamaWeights } from "../../model/llama.ts";
import { maxAbsDifference, tinyConfig } from "./helpers.ts";
import { referenceLogits } from "./reference.ts";

function capturingLogger(): { logger: pino.Logger; lines: () => { msg: string; backend?: string }[] } {
  const chunks: string[] = [];
  const logger = pino({ level: "info" }, { write: (chunk: string) => void chunks.push(chunk) });
  return { logger, lines: () => chunks.map((c) => JSON.parse(c) as { msg: string; backend?: string }) };
}

async function tfjsNodeInstalled(): Promise<boolean> {
  const name = "@tensorflow/tfjs-node";
  return import(name).then(
    () => true,
    () => false,
  );
}

describe("initBackend", () => {
  afterEach(() => {
    delete process.env["FEDTUNE_BACKEND"];
  });

  it("starts the best available backend once and logs one line naming it", async () => {
    const { logger, lines } = capturingLogger();
    const expected = (await tfjsNodeInstalled()) ? "tensorflow" : "wasm";
    expect(await initBackend(logger)).toBe(expected);
    expect(tf.getBackend()).toBe(expected);
    expect(await initBackend(logger)).toBe(expected);
    expect(lines().map((l) => l.backend)).toEqual([expected]);
    expect(lines()[0]?.msg).toContain(expected);
  });

  it("follows FEDTUNE_BACKEND over the caller's preference", async () => {
    const { logger, lines } = capturingLogger();
    process.env["FEDTUNE_BACKEND"] = "cpu";
    expect(await initBackend(logger, "wasm")).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(lines()).toHaveLength(1);
    // The model takes tfjs's own batched matMul off wasm; it must give the same logits there.
    const config = tinyConfig({ num_key_value_heads: 2 });
    const weights = randomLlamaWeights(config, 1, { std: 0.3 });
    const model = LlamaModel.fromWeights(config, weights);
    const ids = [3, 1, 4, 1, 5];
    const logits = tf.tidy(
      () => model.forward(tf.tensor2d([ids], [1, 5], "int32")).dataSync() as Float32Array,
    );
    model.dispose();
    const expected = referenceLogits(config, weights, ids).flatMap((row) => [...row]);
    expect(maxAbsDifference(logits, expected)).toBeLessThan(1e-4);
    process.env["FEDTUNE_BACKEND"] = "gpu";
    await expect(initBackend(logger)).rejects.toThrow(/FEDTUNE_BACKEND must be one of tensorflow, wasm, cpu/);
  });

  it("fails clearly when an explicitly requested backend cannot start", async () => {
    const { logger } = capturingLogger();
    if (await tfjsNodeInstalled()) return;
    await expect(initBackend(logger, "tensorflow")).rejects.toThrow(BackendError);
    await expect(initBackend(logger, "tensorflow")).rejects.toThrow(/tfjs-node/);
  });
});
