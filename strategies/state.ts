// Strategy state to and from bytes, for the strategy_state table (restarts resume the optimizer exactly).
import { z } from "zod";
import { strategyConfigSchema } from "./config.ts";
import { StrategyError } from "./types.ts";
import type { StrategyState } from "./types.ts";

const encodedStateSchema = z.strictObject({
  strategy: z.enum(strategyConfigSchema.options.map((option) => option.shape.name.value)),
  step: z.number().int().min(0),
  /** Float32 buffers as base64 of their little-endian bytes. */
  buffers: z.record(z.string(), z.string()),
});

function toLittleEndianBytes(values: Float32Array): Buffer {
  const bytes = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) bytes.writeFloatLE(values[i] ?? 0, i * 4);
  return bytes;
}

function fromLittleEndianBytes(bytes: Buffer, name: string): Float32Array {
  if (bytes.length % 4 !== 0)
    throw new StrategyError("bad-state", `buffer ${name} is not a whole number of float32`);
  const values = new Float32Array(bytes.length / 4);
  for (let i = 0; i < values.length; i++) values[i] = bytes.readFloatLE(i * 4);
  return values;
}

export function encodeStrategyState(state: StrategyState): string {
  const buffers: Record<string, string> = {};
  for (const [name, values] of Object.entries(state.buffers))
    buffers[name] = toLittleEndianBytes(values).toString("base64");
  return JSON.stringify({ strategy: state.strategy, step: state.step, buffers });
}

export function decodeStrategyState(text: string): StrategyState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new StrategyError("bad-state", "strategy state is not valid JSON");
  }
  const parsed = encodedStateSchema.safeParse(raw);
  if (!parsed.success)
    throw new StrategyError("bad-state", `strategy state: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const buffers: Record<string, Float32Array> = {};
  for (const [name, base64] of Object.entries(parsed.data.buffers)) {
    buffers[name] = fromLittleEndianBytes(Buffer.from(base64, "base64"), name);
  }
  return { strategy: parsed.data.strategy, step: parsed.data.step, buffers };
}
