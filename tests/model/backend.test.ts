// Backend selection: the automatic choice, FEDTUNE_BACKEND overrides, failures, one log line, idempotence.
import * as tf from "@tensorflow/tfjs";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BackendError, initBackend } from "../../model/backend.ts";

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
