// The PEFT exporter: a flat global adapter vector as an HF PEFT folder (adapter_model.safetensors +
// adapter_config.json). The coordinator's checkpoints and both `fedtune export` paths write through it.
import type { LlamaConfig } from "./config.ts";
import {
  flattenLoraTensors,
  initialLoraTensors,
  loraTensorsFromFlat,
  writePeftAdapter,
  type LoraConfig,
} from "./peft.ts";

/** What turns a flat vector into a PEFT folder: the base model's shapes and the LoRA settings. */
export interface AdapterSpec {
  readonly model: LlamaConfig;
  readonly lora: LoraConfig;
  /** Written into adapter_config.json so that `peft` can find the base model. */
  readonly baseModelNameOrPath: string | null;
}

/**
 * The global adapter before round 1, as every site derives it: PEFT's initialisation (seeded A,
 * zero B), flattened to the trainable parameters (B only in ffa mode).
 */
export function initialGlobalVector(spec: AdapterSpec): Float32Array {
  return flattenLoraTensors(spec.model, spec.lora, initialLoraTensors(spec.model, spec.lora));
}

/** Writes the flat global vector (PEFT key order) as a PEFT folder in `dir`. */
export async function writeGlobalAdapter(
  dir: string,
  spec: AdapterSpec,
  vector: Float32Array,
): Promise<void> {
  await writePeftAdapter(dir, loraTensorsFromFlat(spec.model, spec.lora, vector), spec.lora, {
    baseModelNameOrPath: spec.baseModelNameOrPath,
  });
}
