// The LLaMA-family module layout with HF names and shapes; pure (no TensorFlow.js) so adapter I/O can use it.
import type { LlamaConfig } from "./config.ts";

/** Linear layers that LoRA can adapt, in the order transformers' decoder layer defines them. */
export const LORA_TARGET_MODULES = [
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
  "gate_proj",
  "up_proj",
  "down_proj",
] as const;
export type LoraTargetModule = (typeof LORA_TARGET_MODULES)[number];

export interface ProjectionSlot {
  readonly module: LoraTargetModule;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

export function isLoraTargetModule(name: string): name is LoraTargetModule {
  return (LORA_TARGET_MODULES as readonly string[]).includes(name);
}

/** The shapes of each adaptable projection of one decoder layer, in LORA_TARGET_MODULES order. */
export function projectionLayout(config: LlamaConfig): readonly ProjectionSlot[] {
  const hidden = config.hiddenSize;
  const qOut = config.numHeads * config.headDim;
  const kvOut = config.numKvHeads * config.headDim;
  const inter = config.intermediateSize;
  return [
    { module: "q_proj", inFeatures: hidden, outFeatures: qOut },
    { module: "k_proj", inFeatures: hidden, outFeatures: kvOut },
    { module: "v_proj", inFeatures: hidden, outFeatures: kvOut },
    { module: "o_proj", inFeatures: qOut, outFeatures: hidden },
    { module: "gate_proj", inFeatures: hidden, outFeatures: inter },
    { module: "up_proj", inFeatures: hidden, outFeatures: inter },
    { module: "down_proj", inFeatures: inter, outFeatures: hidden },
  ];
}

/** transformers' module path, e.g. `model.layers.3.self_attn.q_proj` or `model.layers.3.mlp.up_proj`. */
export function hfModulePath(layer: number, module: LoraTargetModule): string {
  const block =
    module === "gate_proj" || module === "up_proj" || module === "down_proj" ? "mlp" : "self_attn";
  return `model.layers.${layer}.${block}.${module}`;
}

export function hasBias(config: LlamaConfig, module: LoraTargetModule): boolean {
  switch (module) {
    case "q_proj":
    case "k_proj":
    case "v_proj":
      return config.qkvBias;
    case "o_proj":
      return config.oBias;
    case "gate_proj":
    case "up_proj":
    case "down_proj":
      return config.mlpBias;
  }
}

/** Every weight of an HF checkpoint for this config with its shape (Linear weights are [out, in]). */
export function hfWeightShapes(config: LlamaConfig): Map<string, readonly number[]> {
  const shapes = new Map<string, readonly number[]>();
  shapes.set("model.embed_tokens.weight", [config.vocabSize, config.hiddenSize]);
  for (let layer = 0; layer < config.numLayers; layer++) {
    shapes.set(`model.layers.${layer}.input_layernorm.weight`, [config.hiddenSize]);
    for (const slot of projectionLayout(config)) {
      const path = hfModulePath(layer, slot.module);
      shapes.set(`${path}.weight`, [slot.outFeatures, slot.inFeatures]);
      if (hasBias(config, slot.module)) shapes.set(`${path}.bias`, [slot.outFeatures]);
    }
    shapes.set(`model.layers.${layer}.post_attention_layernorm.weight`, [config.hiddenSize]);
  }
  shapes.set("model.norm.weight", [config.hiddenSize]);
  if (!config.tieWordEmbeddings) shapes.set("lm_head.weight", [config.vocabSize, config.hiddenSize]);
  return shapes;
}

export function parameterCount(config: LlamaConfig): number {
  let total = 0;
  for (const shape of hfWeightShapes(config).values()) total += shape.reduce((a, b) => a * b, 1);
  return total;
}
