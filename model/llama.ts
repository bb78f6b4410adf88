// LLaMA-family decoder (LLaMA, Mistral, Qwen2) in TensorFlow.js, computing the logits of transformers'
// LlamaForCausalLM / Qwen2ForCausalLM from the same weights.
import * as tf from "@tensorflow/tfjs";
import type { LlamaConfig } from "./config.ts";
import {
  LORA_TARGET_MODULES,
  hasBias,
  hfModulePath,
  hfWeightShapes,
  parameterCount,
  projectionLayout,
  type LoraTargetModule,
} from "./architecture.ts";
import { batchedProductForBackend, frozenLinear, trainableLinear, weightOnlyLinear } from "./fast-matmul.ts";
import { transposeMatrix } from "./matrix.ts";
import { buildPositionTables, type PositionTables } from "./position-tables.ts";
import { SeededStream } from "./prng.ts";
import { elementCount, type NamedTensor, type TensorMap } from "./safetensors.ts";

/** Weights that are missing, misshapen, unknown, or token ids out of range. */
export class LlamaWeightsError extends Error {
  override readonly name = "LlamaWeightsError";
}

/**
 * What the model asks of a LoRA adapter: the output `base` of projection `module` in `layer` for
 * `input`, with the adapter's update added (or `base` itself when the module is not adapted).
 */
export interface LoraHook {
  applyLora(
    layer: number,
    module: LoraTargetModule,
    input: tf.Tensor2D,
    base: tf.Tensor2D,
    training: boolean,
  ): tf.Tensor2D;
}

export interface ForwardOptions {
  /** Enables LoRA dropout. */
  readonly training?: boolean;
}

/**
 * How token embeddings are looked up. tfjs-wasm has no UnsortedSegmentSum kernel, so tf.gather has no
 * gradient there; "onehot" multiplies a one-hot matrix instead. "auto" uses "onehot" only when the
 * embeddings train on the wasm backend.
 */
export type EmbeddingLookup = "gather" | "onehot" | "auto";

export interface LlamaModelOptions {
  readonly embeddingLookup?: EmbeddingLookup;
}

interface Projection {
  /** The HF weight transposed to [in, out], so the forward product is a plain x·W. */
  readonly weight: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Variable<tf.Rank.R1> | undefined;
}

interface LayerWeights {
  readonly inputNorm: tf.Variable<tf.Rank.R1>;
  readonly postNorm: tf.Variable<tf.Rank.R1>;
  readonly projections: Readonly<Record<LoraTargetModule, Projection>>;
}

// Enough for training (one or two sequence lengths) and for generation's growing prefixes.
const MAX_CACHED_LENGTHS = 16;

export class LlamaModel {
  readonly config: LlamaConfig;
  private readonly embedTokens: tf.Variable<tf.Rank.R2>;
  private readonly layers: readonly LayerWeights[];
  private readonly finalNorm: tf.Variable<tf.Rank.R1>;
  /** Untied lm_head transposed to [hidden, vocab]; undefined when tied to the embeddings. */
  private readonly lmHead: tf.Variable<tf.Rank.R2> | undefined;
  private readonly rotation: tf.Tensor2D;
  private readonly rotationT: tf.Tensor2D;
  private readonly embeddingLookup: EmbeddingLookup;
  /** Attention's batched products: by depthwise convolution on tfjs-wasm (see fast-matmul.ts). */
  private readonly batchMatMul: (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;
  private readonly positionCache = new Map<number, PositionTables>();
  /** Transposes of frozen weights, made on first use (backward passes and the tied lm_head). */
  private readonly transposeCache = new Map<tf.Tensor, tf.Tensor2D>();
  private baseTrainable = false;
  private disposed = false;

  private constructor(config: LlamaConfig, weights: TensorMap, options: LlamaModelOptions) {
    this.config = config;
    this.embeddingLookup = options.embeddingLookup ?? "auto";
    this.batchMatMul = batchedProductForBackend();
    const get = (key: string): NamedTensor => {
      const tensor = weights.get(key);
      if (tensor === undefined) throw new LlamaWeightsError(`missing weight ${key}`);
      return tensor;
    };
    // tf.variable shares the initial tensor's data; the tidy frees that tensor, the variable keeps it.
    const vector = (key: string): tf.Variable<tf.Rank.R1> =>
      tf.tidy(() => tf.variable(tf.tensor1d(get(key).data), false));
    const transposed = (key: string, rows: number, cols: number): tf.Variable<tf.Rank.R2> =>
      tf.tidy(() =>
        tf.variable(tf.tensor2d(transposeMatrix(get(key).data, rows, cols), [cols, rows]), false),
      );

    this.embedTokens = tf.tidy(() =>
      tf.variable(
        tf.tensor2d(get("model.embed_tokens.weight").data, [config.vocabSize, config.hiddenSize]),
        false,
      ),
    );
    const slots = projectionLayout(config);
    const layers: LayerWeights[] = [];
    for (let layer = 0; layer < config.numLayers; layer++) {
      const projections = {} as Record<LoraTargetModule, Projection>;
      for (const slot of slots) {
        const path = hfModulePath(layer, slot.module);
        projections[slot.module] = {
          weight: transposed(`${path}.weight`, slot.outFeatures, slot.inFeatures),
          bias: hasBias(config, slot.module) ? vector(`${path}.bias`) : undefined,
        };
      }
      layers.push({
        inputNorm: vector(`model.layers.${layer}.input_layernorm.weight`),
        postNorm: vector(`model.layers.${layer}.post_attention_layernorm.weight`),
        projections,
      });
    }
    this.layers = layers;
    this.finalNorm = vector("model.norm.weight");
    this.lmHead = config.tieWordEmbeddings
      ? undefined
      : transposed("lm_head.weight", config.vocabSize, config.hiddenSize);
    // rotate_half(x) = cat(−x[d/2:], x[:d/2]) (transformers' modeling_llama) written as x·R.
    const d = config.headDim;
    const half = d / 2;
    const rotation = new Float32Array(d * d);
    for (let i = 0; i < half; i++) {
      rotation[(i + half) * d + i] = -1;
      rotation[i * d + i + half] = 1;
    }
    this.rotation = tf.tensor2d(rotation, [d, d]);
    this.rotationT = tf.transpose(this.rotation);
  }

  /**
   * Builds a model from HF-named weights (Linear weights [out, in]), checking that every expected
   * weight is present with its exact shape and that nothing unknown is left over.
   */
  static fromWeights(config: LlamaConfig, weights: TensorMap, options: LlamaModelOptions = {}): LlamaModel {
    const expected = hfWeightShapes(config);
    for (const [key, shape] of expected) {
      const tensor = weights.get(key);
      if (tensor === undefined) throw new LlamaWeightsError(`missing weight ${key} [${shape.join(", ")}]`);
      const same = tensor.shape.length === shape.length && tensor.shape.every((dim, i) => dim === shape[i]);
      if (!same) {
        throw new LlamaWeightsError(
          `weight ${key} has shape [${tensor.shape.join(", ")}], expected [${shape.join(", ")}]`,
        );
      }
      if (tensor.data.length !== elementCount(shape)) {
        throw new LlamaWeightsError(`weight ${key} has ${tensor.data.length} values`);
      }
    }
    // Old checkpoints store the rotary inverse frequencies; tied checkpoints may repeat lm_head.
    const ignorable = (key: string): boolean =>
      key.endsWith(".rotary_emb.inv_freq") || (config.tieWordEmbeddings && key === "lm_head.weight");
    const unknown = [...weights.keys()].filter((key) => !expected.has(key) && !ignorable(key));
    if (unknown.length > 0) {
      const listed = unknown.slice(0, 5).join(", ") + (unknown.length > 5 ? ", …" : "");
      throw new LlamaWeightsError(`unexpected weights for a ${config.modelType} model: ${listed}`);
    }
    return new LlamaModel(config, weights, options);
  }

  parameterCount(): number {
    return parameterCount(this.config);
  }

  /** Every base weight: embeddings, norms, projections (and biases), lm_head. */
  baseVariables(): tf.Variable[] {
    const list: tf.Variable[] = [this.embedTokens];
    for (const layer of this.layers) {
      list.push(layer.inputNorm, layer.postNorm);
      for (const module of LORA_TARGET_MODULES) {
        const { weight, bias } = layer.projections[module];
        list.push(weight);
        if (bias !== undefined) list.push(bias);
      }
    }
    list.push(this.finalNorm);
    if (this.lmHead !== undefined) list.push(this.lmHead);
    return list;
  }

  /** Base weights are frozen by default; full (pre)training makes them all trainable. */
  setBaseTrainable(trainable: boolean): void {
    this.baseTrainable = trainable;
    for (const variable of this.baseVariables()) variable.trainable = trainable;
    this.clearTransposeCache();
  }

  isBaseTrainable(): boolean {
    return this.baseTrainable;
  }

  /** The trainable base weights: all of them after setBaseTrainable(true), none otherwise. */
  trainableVariables(): tf.Variable[] {
    return this.baseTrainable ? this.baseVariables() : [];
  }

  /**
   * Logits [B, T, vocab] for int32 token ids [B, T] at positions 0…T−1 (causal attention; pad on the
   * right). With `lora`, the adapter's updates are added to the projections it targets.
   */
  forward(inputIds: tf.Tensor2D, lora?: LoraHook, options: ForwardOptions = {}): tf.Tensor3D {
    if (this.disposed) throw new LlamaWeightsError("LlamaModel used after dispose()");
    const [batch, length] = inputIds.shape;
    if (inputIds.dtype !== "int32")
      throw new LlamaWeightsError(`input ids must be int32, got ${inputIds.dtype}`);
    if (length === 0 || batch === 0) {
      throw new LlamaWeightsError(`input ids must be non-empty, got [${batch}, ${length}]`);
    }
    for (const id of inputIds.dataSync()) {
      if (id < 0 || id >= this.config.vocabSize) {
        throw new LlamaWeightsError(`token id ${id} is outside the vocabulary [0, ${this.config.vocabSize})`);
      }
    }
    const tables = this.positionTables(length);
    const training = options.training ?? false;
    const tokens = batch * length;
    return tf.tidy(() => {
      let hidden = this.embed(tf.reshape<tf.Rank.R1>(inputIds, [tokens]));
      for (const [index, layer] of this.layers.entries()) {
        const project = (module: LoraTargetModule, x: tf.Tensor2D): tf.Tensor2D => {
          const { weight, bias } = layer.projections[module];
          let out = this.linear(x, weight);
          if (bias !== undefined) out = tf.add(out, bias);
          return lora === undefined ? out : lora.applyLora(index, module, x, out, training);
        };
        const normed = this.rmsNorm(hidden, layer.inputNorm);
        const attended = this.attention(
          project("q_proj", normed),
          project("k_proj", normed),
          project("v_proj", normed),
          batch,
          length,
          tables,
        );
        hidden = tf.add(hidden, project("o_proj", attended));
        const normed2 = this.rmsNorm(hidden, layer.postNorm);
        const gate = project("gate_proj", normed2);
        // SwiGLU: down(silu(gate) ⊙ up), silu(g) = g·σ(g).
        const activated = tf.mul<tf.Tensor2D>(tf.mul(gate, tf.sigmoid(gate)), project("up_proj", normed2));
        hidden = tf.add(hidden, project("down_proj", activated));
      }
      const final = this.rmsNorm(hidden, this.finalNorm);
      return tf.reshape(this.lmHeadLogits(final), [batch, length, this.config.vocabSize]);
    });
  }

  /** The weights in HF layout and names (Linear [out, in]), e.g. to save a pretrained model. */
  exportWeights(): TensorMap {
    const c = this.config;
    const read = (v: tf.Tensor): Float32Array => (v.dataSync() as Float32Array).slice();
    const out: TensorMap = new Map();
    out.set("model.embed_tokens.weight", {
      shape: [c.vocabSize, c.hiddenSize],
      data: read(this.embedTokens),
    });
    const slots = projectionLayout(c);
    for (const [index, layer] of this.layers.entries()) {
      out.set(`model.layers.${index}.input_layernorm.weight`, {
        shape: [c.hiddenSize],
        data: read(layer.inputNorm),
      });
      for (const slot of slots) {
        const { weight, bias } = layer.projections[slot.module];
        const path = hfModulePath(index, slot.module);
        out.set(`${path}.weight`, {
          shape: [slot.outFeatures, slot.inFeatures],
          data: transposeMatrix(read(weight), slot.inFeatures, slot.outFeatures),
        });
        if (bias !== undefined) out.set(`${path}.bias`, { shape: [slot.outFeatures], data: read(bias) });
      }
      out.set(`model.layers.${index}.post_attention_layernorm.weight`, {
        shape: [c.hiddenSize],
        data: read(layer.postNorm),
      });
    }
    out.set("model.norm.weight", { shape: [c.hiddenSize], data: read(this.finalNorm) });
    if (this.lmHead !== undefined) {
      out.set("lm_head.weight", {
        shape: [c.vocabSize, c.hiddenSize],
        data: transposeMatrix(read(this.lmHead), c.hiddenSize, c.vocabSize),
      });
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const variable of this.baseVariables()) variable.dispose();
    tf.dispose([this.rotation, this.rotationT]);
    for (const tables of this.positionCache.values()) tf.dispose(Object.values(tables));
    this.positionCache.clear();
    this.clearTransposeCache();
  }

  // -------------------------------------------------------------------------------------------

  private clearTransposeCache(): void {
    for (const tensor of this.transposeCache.values()) tensor.dispose();
    this.transposeCache.clear();
  }

  private transposed(weight: tf.Tensor2D): tf.Tensor2D {
    let cached = this.transposeCache.get(weight);
    if (cached === undefined) {
      cached = tf.keep(tf.transpose(weight));
      this.transposeCache.set(weight, cached);
    }
    return cached;
  }

  /** x · w for a base weight; a frozen weight's transpose for the backward pass is cached. */
  private linear(x: tf.Tensor2D, weight: tf.Variable<tf.Rank.R2>): tf.Tensor2D {
    if (this.baseTrainable) return trainableLinear(x, weight);
    return frozenLinear(x, weight, () => this.transposed(weight));
  }

  private embed(ids: tf.Tensor1D): tf.Tensor2D {
    const oneHot =
      this.embeddingLookup === "onehot" ||
      (this.embeddingLookup === "auto" && this.baseTrainable && tf.getBackend() === "wasm");
    if (!oneHot) return tf.gather(this.embedTokens, ids);
    const rows = tf.cast(tf.oneHot(ids, this.config.vocabSize), "float32") as tf.Tensor2D;
    return this.baseTrainable ? weightOnlyLinear(rows, this.embedTokens) : tf.matMul(rows, this.embedTokens);
  }

  private lmHeadLogits(final: tf.Tensor2D): tf.Tensor2D {
    if (this.lmHead !== undefined) return this.linear(final, this.lmHead);
    // Tied: logits = h · Eᵀ with E [vocab, hidden].
    if (this.baseTrainable) return trainableLinear(final, tf.transpose(this.embedTokens));
    return frozenLinear(final, this.transposed(this.embedTokens), () => this.embedTokens);
  }

  /** LlamaRMSNorm: w ⊙ x / sqrt(mean(x²) + ε). */
  private rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D): tf.Tensor2D {
    const variance = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(variance, this.config.rmsNormEps))), weight);
  }

  /** apply_rotary_pos_emb on [N, heads·d]: x·cos + rotate_half(x)·sin, tables broadcast over the batch. */
  private rope(
    x: tf.Tensor2D,
    heads: number,
    batch: number,
    length: number,
    cos: tf.Tensor2D,
    sin: tf.Tensor2D,
  ): tf.Tensor3D {
    const d = this.config.headDim;
    const rotated = frozenLinear(
      tf.reshape(x, [batch * length * heads, d]),
      this.rotation,
      () => this.rotationT,
    );
    return tf.add(
      tf.mul(tf.reshape(x, [batch, length, heads * d]), cos),
      tf.mul(tf.reshape(rotated, [batch, length, heads * d]), sin),
    );
  }

  /**
   * Rotary embeddings and grouped-query causal attention. Query heads that share a key/value head are
   * stacked along time into [kvHeads·B, g·T, d], which is transformers' repeat_kv (head h reads kv head
   * ⌊h/g⌋) without copying k and v. Every transpose stays 4-D: tfjs-wasm's 5-D transpose is slow.
   */
  private attention(
    query: tf.Tensor2D,
    key: tf.Tensor2D,
    value: tf.Tensor2D,
    batch: number,
    length: number,
    tables: PositionTables,
  ): tf.Tensor2D {
    const c = this.config;
    const d = c.headDim;
    const kvHeads = c.numKvHeads;
    const group = c.numHeads / kvHeads;
    const slices = kvHeads * batch;
    const q = this.rope(query, c.numHeads, batch, length, tables.queryCos, tables.querySin);
    const k = this.rope(key, kvHeads, batch, length, tables.keyCos, tables.keySin);
    // [B, T, heads, d] → [heads = kv·g, B, T, d] → [kv, B, g, T·d]: two 4-D transposes.
    const qHeads = tf.transpose(tf.reshape(q, [batch, length, c.numHeads, d]), [2, 0, 1, 3]);
    const queries: tf.Tensor3D =
      group === 1
        ? tf.reshape(qHeads, [slices, length, d])
        : tf.reshape(tf.transpose(tf.reshape(qHeads, [kvHeads, group, batch, length * d]), [0, 2, 1, 3]), [
            slices,
            group * length,
            d,
          ]);
    const keysT: tf.Tensor3D = tf.reshape(
      tf.transpose(tf.reshape(k, [batch, length, kvHeads, d]), [2, 0, 3, 1]),
      [slices, d, length],
    );
    const values: tf.Tensor3D = tf.reshape(
      tf.transpose(tf.reshape(value, [batch, length, kvHeads, d]), [2, 0, 1, 3]),
      [slices, length, d],
    );
    // The 1/√d scale is folded into the query tables.
    const scores = tf.add<tf.Tensor3D>(this.batchMatMul(queries, keysT), tables.mask);
    const context = this.batchMatMul(tf.softmax(scores), values);
    // [kv, B, g, T·d] → [B, kv·g = heads, T, d] → [B, T, heads, d].
    const byBatch = tf.transpose(tf.reshape(context, [kvHeads, batch, group, length * d]), [1, 0, 2, 3]);
    const merged = tf.transpose(tf.reshape(byBatch, [batch, c.numHeads, length, d]), [0, 2, 1, 3]);
    return tf.reshape(merged, [batch * length, c.numHeads * d]);
  }

  private positionTables(length: number): PositionTables {
    const cached = this.positionCache.get(length);
    if (cached !== undefined) return cached;
    if (this.positionCache.size >= MAX_CACHED_LENGTHS) {
      const [oldest, tables] = this.positionCache.entries().next().value as [number, PositionTables];
      tf.dispose(Object.values(tables));
      this.positionCache.delete(oldest);
    }
    const tables = buildPositionTables(this.config, length);
    this.positionCache.set(length, tables);
    return tables;
  }
}

export interface RandomWeightsOptions {
  /** Standard deviation of projections, embeddings and biases (transformers' initializer_range). */
  readonly std?: number;
  /** Standard deviation of the norm weights around 1 (0 gives transformers' all-ones init). */
  readonly normStd?: number;
}

/** Seeded random HF-named weights for a config, e.g. for tests and as the start of pretraining. */
export function randomLlamaWeights(
  config: LlamaConfig,
  seed: number | string,
  options: RandomWeightsOptions = {},
): TensorMap {
  const std = options.std ?? 0.02;
  const normStd = options.normStd ?? 0;
  const weights: TensorMap = new Map();
  for (const [key, shape] of hfWeightShapes(config)) {
    const stream = new SeededStream(seed, key);
    const data = new Float32Array(elementCount(shape));
    if (key.endsWith("norm.weight")) stream.fillNormal(data, 1, normStd);
    else stream.fillNormal(data, 0, std);
    weights.set(key, { shape, data });
  }
  return weights;
}
