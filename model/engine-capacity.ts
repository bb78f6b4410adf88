// The built-in engine's memory limit, stated and enforced: a model too large for the wasm heap is refused before loading.
import type { LlamaConfig } from "./config.ts";
import { parameterCount } from "./architecture.ts";

/** tfjs-backend-wasm's heap ceiling: 65,535 WebAssembly pages of 64 KiB (its getHeapMax()). */
export const WASM_HEAP_MAX_BYTES = 4_294_901_760;

/**
 * Heap one LoRA training step needs on the wasm backend: FIXED + PER_PARAMETER · parameters, the
 * least-squares fit of bench/engine-capacity.ts over LLaMA-shaped models of 19M, 56M and 127M
 * parameters (vocabulary 32k, 2 × 128 tokens; heaps 0.81, 1.78 and 3.46 GB; see
 * docs/external-trainer.md, "The built-in engine's limits"). About 160M parameters fit in 4 GiB.
 */
export const ENGINE_FIXED_BYTES = 370_000_000;
export const ENGINE_BYTES_PER_PARAMETER = 24.5;

/** The largest model (parameters) the built-in engine trains within the wasm heap. */
export function engineParameterLimit(): number {
  return Math.floor((WASM_HEAP_MAX_BYTES - ENGINE_FIXED_BYTES) / ENGINE_BYTES_PER_PARAMETER);
}

export class EngineCapacityError extends Error {
  override readonly name = "EngineCapacityError";
}

function millions(parameters: number): string {
  return `${(parameters / 1e6).toFixed(0)}M`;
}

/**
 * Refuses, before any weight is read, a model the wasm backend cannot train: its heap is capped at
 * 4 GiB whatever the machine has, and past it training ends in an out-of-memory abort.
 */
export function checkEngineCapacity(config: LlamaConfig, backend: string): void {
  if (backend !== "wasm") return;
  const parameters = parameterCount(config);
  const limit = engineParameterLimit();
  if (parameters <= limit) return;
  throw new EngineCapacityError(
    `the base model has ${millions(parameters)} parameters; the built-in engine (TensorFlow.js wasm, ` +
      `heap limit 4 GiB) trains models up to about ${millions(limit)}. Train this site with an external ` +
      `trainer instead (site config "trainer:", e.g. the PyTorch trainer in client/python-trainer; ` +
      `see docs/external-trainer.md)`,
  );
}
