// LoRA configuration, PEFT key names, the flat-vector layout and PEFT's initialisation; pure (no TensorFlow.js),
// so that the coordinator can build, split and save adapters from a Float32Array without training code.
import { z } from "zod";
import type { LlamaConfig } from "./config.ts";
import {
  LORA_TARGET_MODULES,
  hfModulePath,
  isLoraTargetModule,
  projectionLayout,
  type LoraTargetModule,
} from "./architecture.ts";
import { SeededStream } from "./prng.ts";
import type { TensorMap } from "./safetensors.ts";

/**
 * "standard": A and B both train (PEFT LoRA). "ffa": FFA-LoRA (Sun et al., ICLR 2024) — A is frozen at
 * its seeded initialisation and only B trains, so the sum of site updates is exactly the update of ΔW = B·A.
 */
export type LoraMode = "standard" | "ffa";

export interface LoraConfig {
  readonly r: number;
  readonly alpha: number;
  /** Dropout on the LoRA input, applied only while training. */
  readonly dropout: number;
  readonly targetModules: readonly string[];
  readonly mode: LoraMode;
  /** Seeds A's initialisation; in ffa mode every site must use the same seed. */
  readonly seed: number;
  /** rsLoRA scaling α/√r instead of α/r (PEFT's use_rslora). */
  readonly useRslora?: boolean;
}

export const LoraConfigSchema = z.object({
  r: z.number().int().positive(),
  alpha: z.number().positive(),
  dropout: z.number().min(0).lt(1),
  targetModules: z
    .array(
      z.string().refine(isLoraTargetModule, { message: `must be one of ${LORA_TARGET_MODULES.join(", ")}` }),
    )
    .min(1),
  mode: z.enum(["standard", "ffa"]),
  seed: z.number().int().nonnegative(),
  useRslora: z.boolean().optional(),
});

/** A LoRA configuration or adapter that does not fit the model, or a flat vector of the wrong length. */
export class LoraError extends Error {
  override readonly name = "LoraError";
}

export function parseLoraConfig(raw: unknown): LoraConfig {
  const result = LoraConfigSchema.safeParse(raw);
  if (!result.success) {
    throw new LoraError(
      `invalid LoRA config: ${result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const { useRslora, ...rest } = result.data;
  return useRslora === undefined ? rest : { ...rest, useRslora };
}

/** PEFT's scaling of B·A: lora_alpha / r (or / √r with rsLoRA). */
export function loraScaling(config: LoraConfig): number {
  return config.useRslora === true ? config.alpha / Math.sqrt(config.r) : config.alpha / config.r;
}

/** The targeted modules in transformers' order, deduplicated. */
export function orderedTargets(config: LoraConfig): readonly LoraTargetModule[] {
  return LORA_TARGET_MODULES.filter((module) => config.targetModules.includes(module));
}

export interface LoraParameter {
  /** PEFT key, e.g. base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight. */
  readonly key: string;
  /** PEFT shape: A [r, in_features], B [out_features, r]. */
  readonly shape: readonly [number, number];
  readonly layer: number;
  readonly module: LoraTargetModule;
  readonly matrix: "A" | "B";
  /** Trains (and is part of the flat vector): B always, A only in standard mode. */
  readonly trainable: boolean;
}

export function peftKey(layer: number, module: LoraTargetModule, matrix: "A" | "B"): string {
  return `base_model.model.${hfModulePath(layer, module)}.lora_${matrix}.weight`;
}

/**
 * Every LoRA tensor in the stable order that flat vectors use: layers ascending, modules in
 * transformers' order (q, k, v, o, gate, up, down), A before B; each tensor row-major in PEFT shape.
 * The flat vector of an adapter is the concatenation of the `trainable` entries.
 */
export function loraParameterLayout(model: LlamaConfig, lora: LoraConfig): readonly LoraParameter[] {
  const slots = projectionLayout(model);
  const targets = orderedTargets(lora);
  const layout: LoraParameter[] = [];
  for (let layer = 0; layer < model.numLayers; layer++) {
    for (const module of targets) {
      const slot = slots.find((s) => s.module === module);
      if (slot === undefined) throw new LoraError(`unknown target module ${module}`);
      const common = { layer, module };
      layout.push({
        ...common,
        key: peftKey(layer, module, "A"),
        shape: [lora.r, slot.inFeatures],
        matrix: "A",
        trainable: lora.mode === "standard",
      });
      layout.push({
        ...common,
        key: peftKey(layer, module, "B"),
        shape: [slot.outFeatures, lora.r],
        matrix: "B",
        trainable: true,
      });
    }
  }
  return layout;
}

/** Length of the flat vector (trainable parameters) of an adapter. */
export function loraFlatLength(model: LlamaConfig, lora: LoraConfig): number {
  return loraParameterLayout(model, lora)
    .filter((p) => p.trainable)
    .reduce((n, p) => n + p.shape[0] * p.shape[1], 0);
}

/**
 * PEFT's initial A for one module: nn.init.kaiming_uniform_(A, a=√5) over A [r, in], i.e.
 * U(−1/√in, 1/√in) (gain √(2/(1+5)), bound √3·gain/√in), drawn from a stream keyed by the seed and
 * the PEFT key so that every site derives the same A whatever else it targets.
 */
export function initialLoraA(parameter: LoraParameter, seed: number): Float32Array {
  const [rows, inFeatures] = parameter.shape;
  const bound = 1 / Math.sqrt(inFeatures);
  return new SeededStream(seed, parameter.key).fillUniform(
    new Float32Array(rows * inFeatures),
    -bound,
    bound,
  );
}

/** PEFT's initial adapter: seeded Kaiming-uniform A, zero B (so the adapted model equals the base). */
export function initialLoraTensors(model: LlamaConfig, lora: LoraConfig): TensorMap {
  const tensors: TensorMap = new Map();
  for (const parameter of loraParameterLayout(model, lora)) {
    const data =
      parameter.matrix === "A"
        ? initialLoraA(parameter, lora.seed)
        : new Float32Array(parameter.shape[0] * parameter.shape[1]);
    tensors.set(parameter.key, { shape: parameter.shape, data });
  }
  return tensors;
}

/** Checks that `tensors` holds exactly the layout's keys with their shapes. */
export function checkLoraTensors(model: LlamaConfig, lora: LoraConfig, tensors: TensorMap): void {
  const layout = loraParameterLayout(model, lora);
  for (const parameter of layout) {
    const tensor = tensors.get(parameter.key);
    if (tensor === undefined) throw new LoraError(`adapter is missing ${parameter.key}`);
    const [rows, cols] = parameter.shape;
    if (tensor.shape.length !== 2 || tensor.shape[0] !== rows || tensor.shape[1] !== cols) {
      throw new LoraError(
        `${parameter.key} has shape [${tensor.shape.join(", ")}], expected [${rows}, ${cols}]`,
      );
    }
    if (tensor.data.length !== rows * cols)
      throw new LoraError(`${parameter.key} has ${tensor.data.length} values`);
  }
  if (tensors.size !== layout.length) {
    const known = new Set(layout.map((p) => p.key));
    const extra = [...tensors.keys()].filter((key) => !known.has(key));
    throw new LoraError(`adapter has tensors outside its configuration: ${extra.slice(0, 3).join(", ")}`);
  }
}

/** The trainable tensors concatenated in layout order. */
export function flattenLoraTensors(model: LlamaConfig, lora: LoraConfig, tensors: TensorMap): Float32Array {
  checkLoraTensors(model, lora, tensors);
  const out = new Float32Array(loraFlatLength(model, lora));
  let offset = 0;
  for (const parameter of loraParameterLayout(model, lora)) {
    if (!parameter.trainable) continue;
    const data = tensors.get(parameter.key)?.data ?? new Float32Array();
    out.set(data, offset);
    offset += data.length;
  }
  return out;
}

/**
 * The full PEFT tensor set for a flat vector: trainable tensors sliced from `flat` (exact length
 * required); in ffa mode A comes from the seed, as at every site.
 */
export function loraTensorsFromFlat(model: LlamaConfig, lora: LoraConfig, flat: Float32Array): TensorMap {
  const expected = loraFlatLength(model, lora);
  if (flat.length !== expected) {
    throw new LoraError(`flat LoRA vector has ${flat.length} values, the configuration needs ${expected}`);
  }
  const tensors: TensorMap = new Map();
  let offset = 0;
  for (const parameter of loraParameterLayout(model, lora)) {
    const size = parameter.shape[0] * parameter.shape[1];
    if (parameter.trainable) {
      tensors.set(parameter.key, { shape: parameter.shape, data: flat.slice(offset, offset + size) });
      offset += size;
    } else {
      tensors.set(parameter.key, { shape: parameter.shape, data: initialLoraA(parameter, lora.seed) });
    }
  }
  return tensors;
}
