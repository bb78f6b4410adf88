// Parses an HF LLaMA-family config.json (llama, mistral, qwen2) into the model's trusted, camel-cased config.
import { readFile } from "node:fs/promises";
import { z } from "zod";

/** A config.json that is missing, malformed or describes an architecture fedtune cannot run. */
export class ModelConfigError extends Error {
  override readonly name = "ModelConfigError";
}

const positiveInt = z.number().int().positive();
const ropeSchema = z
  .object({
    rope_theta: z.number().positive().optional(),
    rope_type: z
      .literal("default", { message: "only default (unscaled) rotary embeddings are supported" })
      .optional(),
    type: z
      .literal("default", { message: "only default (unscaled) rotary embeddings are supported" })
      .optional(),
  })
  .loose();
const tokenId = z.number().int().nonnegative();

// Field names and defaults follow transformers' LlamaConfig / Qwen2Config / MistralConfig.
export const HfLlamaConfigSchema = z
  .object({
    model_type: z.enum(["llama", "mistral", "qwen2"]).default("llama"),
    hidden_size: positiveInt,
    intermediate_size: positiveInt,
    num_hidden_layers: positiveInt,
    num_attention_heads: positiveInt,
    num_key_value_heads: positiveInt.nullish(),
    head_dim: positiveInt.nullish(),
    hidden_act: z.literal("silu").default("silu"),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().optional(),
    // transformers 4.x writes rope_scaling, 5.x rope_parameters {rope_theta, rope_type}; only the
    // default (unscaled) RoPE is supported.
    rope_scaling: ropeSchema.nullish(),
    rope_parameters: ropeSchema.nullish(),
    vocab_size: positiveInt,
    tie_word_embeddings: z.boolean().default(false),
    attention_bias: z.boolean().default(false),
    mlp_bias: z.boolean().default(false),
    max_position_embeddings: positiveInt.default(2048),
    bos_token_id: tokenId.nullish(),
    eos_token_id: z.union([tokenId, z.array(tokenId)]).nullish(),
    pad_token_id: tokenId.nullish(),
  })
  .loose();

export type HfLlamaConfig = z.input<typeof HfLlamaConfigSchema>;

export interface LlamaConfig {
  readonly modelType: "llama" | "mistral" | "qwen2";
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly vocabSize: number;
  readonly tieWordEmbeddings: boolean;
  /** Biases on q_proj, k_proj, v_proj (Qwen2 always; LLaMA with attention_bias). */
  readonly qkvBias: boolean;
  /** Bias on o_proj (LLaMA with attention_bias; never Qwen2). */
  readonly oBias: boolean;
  /** Biases on gate_proj, up_proj, down_proj. */
  readonly mlpBias: boolean;
  readonly maxPositionEmbeddings: number;
  readonly bosTokenId: number | null;
  readonly eosTokenIds: readonly number[];
  readonly padTokenId: number | null;
}

/** Validates a parsed config.json; `source` names it in errors. */
export function parseLlamaConfig(raw: unknown, source = "config.json"): LlamaConfig {
  const result = HfLlamaConfigSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new ModelConfigError(`${source}: ${issues.join("; ")}`);
  }
  const c = result.data;
  const numKvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.num_attention_heads % numKvHeads !== 0) {
    throw new ModelConfigError(
      `${source}: num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${numKvHeads}`,
    );
  }
  const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new ModelConfigError(
      `${source}: head dimension ${headDim} must be an even integer for rotary embeddings`,
    );
  }
  const qwen2 = c.model_type === "qwen2";
  const eos = c.eos_token_id;
  return {
    modelType: c.model_type,
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numLayers: c.num_hidden_layers,
    numHeads: c.num_attention_heads,
    numKvHeads,
    headDim,
    rmsNormEps: c.rms_norm_eps,
    ropeTheta: c.rope_parameters?.rope_theta ?? c.rope_theta ?? c.rope_scaling?.rope_theta ?? 10000,
    vocabSize: c.vocab_size,
    tieWordEmbeddings: c.tie_word_embeddings,
    // transformers' Qwen2Attention: q/k/v Linear(bias=True), o_proj Linear(bias=False).
    qkvBias: qwen2 || c.attention_bias,
    oBias: !qwen2 && c.attention_bias,
    mlpBias: !qwen2 && c.mlp_bias,
    maxPositionEmbeddings: c.max_position_embeddings,
    bosTokenId: c.bos_token_id ?? null,
    eosTokenIds: eos === null || eos === undefined ? [] : Array.isArray(eos) ? eos : [eos],
    padTokenId: c.pad_token_id ?? null,
  };
}

export async function readLlamaConfig(path: string): Promise<LlamaConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ModelConfigError(
      `${path}: cannot read (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ModelConfigError(
      `${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  return parseLlamaConfig(raw, path);
}

/** The config.json that transformers would write for this config (used to save the built-in model). */
export function toHfConfig(config: LlamaConfig): Record<string, unknown> {
  const architectures: Record<LlamaConfig["modelType"], string> = {
    llama: "LlamaForCausalLM",
    mistral: "MistralForCausalLM",
    qwen2: "Qwen2ForCausalLM",
  };
  return {
    architectures: [architectures[config.modelType]],
    model_type: config.modelType,
    hidden_size: config.hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    num_key_value_heads: config.numKvHeads,
    head_dim: config.headDim,
    hidden_act: "silu",
    rms_norm_eps: config.rmsNormEps,
    rope_theta: config.ropeTheta,
    rope_scaling: null,
    vocab_size: config.vocabSize,
    tie_word_embeddings: config.tieWordEmbeddings,
    ...(config.modelType === "qwen2" ? {} : { attention_bias: config.qkvBias, mlp_bias: config.mlpBias }),
    max_position_embeddings: config.maxPositionEmbeddings,
    ...(config.bosTokenId === null ? {} : { bos_token_id: config.bosTokenId }),
    ...(config.eosTokenIds.length === 0
      ? {}
      : { eos_token_id: config.eosTokenIds.length === 1 ? config.eosTokenIds[0] : [...config.eosTokenIds] }),
    ...(config.padTokenId === null ? {} : { pad_token_id: config.padTokenId }),
    torch_dtype: "float32",
  };
}
