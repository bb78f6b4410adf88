// LLaMA-family decoder (LLaMA, Mistral, Qwen2) in TensorFlow.js, computing the logits of transformers'
// LlamaForCausalLM / Qwen2ForCausalLM from the same weights.
import * as tf from "@tensorflow/tfjs";
import type { LlamaConfig } from "./config.ts";
import {
  hfModulePath,
  hfWeightShapes,
  parameterCount,
  projectionLayout,
  type ProjectionGroup,
  type ProjectionSlot,
} from "./architecture.ts";
import { SeededStream } from "./prng.ts";
import { elementCount, type NamedTensor, type TensorMap } from "./safetensors.ts";

/** Weights that are missing, misshapen, unknown, or token ids out of range. */
export class LlamaWeightsError extends Error {
  override readonly name = "LlamaWeightsError";
}

/**
 * What the model asks of a LoRA adapter: the fused projection output of `group` in `layer`, with
 * the adapter's update added (or `base` unchanged when the group has no adapted module).
 */
export interface LoraHook {
  applyLora(
    layer: number,
    group: ProjectionGroup,
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

// ---------------------------------------------------------------------------------------------
// Matrix products with hand-written gradients. On tfjs-wasm a matMul with transposeA/transposeB is
// 10–40× slower than a plain one (measured: 0.6–2 vs 20–27 GFLOP/s), and tfjs's own matMul gradient
// uses exactly those flags. Transposing explicitly and multiplying plainly keeps every product fast.

/**
 * x [N, in] · w [in, out], w frozen: only x gets a gradient, through wᵀ, which `transposeOfW` supplies
 * (typically cached) only when a backward pass runs. w must outlive the backward pass (a weight, not
 * an intermediate), since it is captured rather than saved.
 */
export function frozenLinear(x: tf.Tensor2D, w: tf.Tensor2D, transposeOfW: () => tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((input: tf.Tensor | tf.GradSaveFunc) => ({
    value: tf.matMul(input as tf.Tensor2D, w),
    gradFunc: (dy: tf.Tensor) => tf.matMul(dy, transposeOfW()),
  }));
  return op(x) as tf.Tensor2D;
}

/** x [N, in] · w [in, out] with gradients for both. */
export const trainableLinear = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy)];
    },
  };
}) as (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D;

/** x [N, in] · w [in, out] where x is a constant (the one-hot embedding input): only w gets a gradient. */
function weightOnlyLinear(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [weight, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    // x is not an input, so it must be saved explicitly to outlive the forward pass's tidy.
    save([x]);
    return {
      value: tf.matMul(x, weight),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.matMul(tf.transpose(saved[0] as tf.Tensor2D), dy),
    };
  });
  return op(w) as tf.Tensor2D;
}

function productsOfSlices(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const right = tf.unstack(b) as tf.Tensor2D[];
  return tf.stack(
    (tf.unstack(a) as tf.Tensor2D[]).map((left, i) => tf.matMul(left, right[i] as tf.Tensor2D)),
  ) as tf.Tensor3D;
}

/**
 * a [n, M, K] · b [n, K, N] as n two-dimensional products, forward and backward. tfjs-wasm runs batched
 * products in a naive loop (measured 0.6–0.8 GFLOP/s for attention shapes) but 2-D ones in XNNPACK.
 */
export const slicedBatchMatMul = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: productsOfSlices(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, bs] = saved as [tf.Tensor3D, tf.Tensor3D];
      const dy3 = dy as tf.Tensor3D;
      return [
        productsOfSlices(dy3, tf.transpose(bs, [0, 2, 1])),
        productsOfSlices(tf.transpose(as, [0, 2, 1]), dy3),
      ];
    },
  };
}) as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

// ---------------------------------------------------------------------------------------------

interface LayerWeights {
  readonly inputNorm: tf.Variable<tf.Rank.R1>;
  /** q_proj, k_proj, v_proj fused and transposed: [hidden, (heads + 2·kvHeads)·headDim]. */
  readonly qkv: tf.Variable<tf.Rank.R2>;
  readonly qkvBias: tf.Variable<tf.Rank.R1> | undefined;
  readonly o: tf.Variable<tf.Rank.R2>;
  readonly oBias: tf.Variable<tf.Rank.R1> | undefined;
  readonly postNorm: tf.Variable<tf.Rank.R1>;
  readonly gate: tf.Variable<tf.Rank.R2>;
  readonly gateBias: tf.Variable<tf.Rank.R1> | undefined;
  readonly up: tf.Variable<tf.Rank.R2>;
  readonly upBias: tf.Variable<tf.Rank.R1> | undefined;
  readonly down: tf.Variable<tf.Rank.R2>;
  readonly downBias: tf.Variable<tf.Rank.R1> | undefined;
}

interface PositionTables {
  /** [T, F] multipliers of x and of rotate_half(x) for the fused q|k|v heads (v: 1 and 0). */
  readonly cos: tf.Tensor2D;
  readonly sin: tf.Tensor2D;
  /** [groupSize·T, T] additive causal mask in the grouped-query layout. */
  readonly mask: tf.Tensor2D;
}

// Enough for training (one or two sequence lengths) and for generation's growing prefixes.
const MAX_CACHED_LENGTHS = 16;
// exp(-1e9 + s) underflows to exactly 0 in float32, and unlike -Infinity it never yields NaN.
const MASKED = -1e9;

function transposeInto(out: Float32Array, outCols: number, colOffset: number, source: NamedTensor): void {
  const [rows = 0, cols = 0] = source.shape;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * outCols + colOffset + r] = source.data[r * cols + c] ?? 0;
  }
}

function concatVectors(parts: readonly NamedTensor[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, part) => n + part.data.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part.data, offset);
    offset += part.data.length;
  }
  return out;
}

/** Reads `source` columns [offset, offset+width) of a row-major [rows, cols] matrix, transposed. */
function sliceTransposed(
  data: Float32Array,
  rows: number,
  cols: number,
  offset: number,
  width: number,
): Float32Array {
  const out = new Float32Array(width * rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) out[c * rows + r] = data[r * cols + offset + c] ?? 0;
  }
  return out;
}

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
  /** Set on tfjs-wasm, whose batched matMul kernel is much slower than its 2-D one. */
  private readonly sliceBatchedProducts: boolean;
  private readonly positionCache = new Map<number, PositionTables>();
  /** Transposes of frozen weights, made on first use for the backward pass (and the tied lm_head). */
  private readonly transposeCache = new Map<tf.Tensor, tf.Tensor2D>();
  private baseTrainable = false;
  private disposed = false;

  private constructor(config: LlamaConfig, weights: TensorMap, options: LlamaModelOptions) {
    this.config = config;
    this.embeddingLookup = options.embeddingLookup ?? "auto";
    this.sliceBatchedProducts = tf.getBackend() === "wasm";
    const get = (key: string): NamedTensor => {
      const tensor = weights.get(key);
      if (tensor === undefined) throw new LlamaWeightsError(`missing weight ${key}`);
      return tensor;
    };
    // tf.variable shares the initial tensor's data; the tidy frees that tensor, the variable keeps the data.
    const variable1 = (data: Float32Array): tf.Variable<tf.Rank.R1> =>
      tf.tidy(() => tf.variable(tf.tensor1d(data), false));
    const variable2 = (data: Float32Array, shape: [number, number]): tf.Variable<tf.Rank.R2> =>
      tf.tidy(() => tf.variable(tf.tensor2d(data, shape), false));
    const slots = projectionLayout(config);
    const fused = (layer: number, members: readonly ProjectionSlot[]): tf.Variable<tf.Rank.R2> => {
      const inFeatures = members[0]?.inFeatures ?? 0;
      const width = members.reduce((n, slot) => n + slot.outFeatures, 0);
      const data = new Float32Array(inFeatures * width);
      for (const slot of members)
        transposeInto(data, width, slot.offset, get(`${hfModulePath(layer, slot.module)}.weight`));
      return variable2(data, [inFeatures, width]);
    };
    const fusedBias = (
      layer: number,
      members: readonly ProjectionSlot[],
      present: boolean,
    ): tf.Variable<tf.Rank.R1> | undefined =>
      present
        ? variable1(concatVectors(members.map((slot) => get(`${hfModulePath(layer, slot.module)}.bias`))))
        : undefined;
    const group = (name: ProjectionGroup): ProjectionSlot[] => slots.filter((slot) => slot.group === name);

    this.embedTokens = variable2(get("model.embed_tokens.weight").data, [
      config.vocabSize,
      config.hiddenSize,
    ]);
    const layers: LayerWeights[] = [];
    for (let layer = 0; layer < config.numLayers; layer++) {
      layers.push({
        inputNorm: variable1(get(`model.layers.${layer}.input_layernorm.weight`).data),
        qkv: fused(layer, group("qkv")),
        qkvBias: fusedBias(layer, group("qkv"), config.qkvBias),
        o: fused(layer, group("o")),
        oBias: fusedBias(layer, group("o"), config.oBias),
        postNorm: variable1(get(`model.layers.${layer}.post_attention_layernorm.weight`).data),
        gate: fused(layer, group("gate")),
        gateBias: fusedBias(layer, group("gate"), config.mlpBias),
        up: fused(layer, group("up")),
        upBias: fusedBias(layer, group("up"), config.mlpBias),
        down: fused(layer, group("down")),
        downBias: fusedBias(layer, group("down"), config.mlpBias),
      });
    }
    this.layers = layers;
    this.finalNorm = variable1(get("model.norm.weight").data);
    this.lmHead = config.tieWordEmbeddings
      ? undefined
      : (() => {
          const data = new Float32Array(config.vocabSize * config.hiddenSize);
          transposeInto(data, config.vocabSize, 0, get("lm_head.weight"));
          return variable2(data, [config.hiddenSize, config.vocabSize]);
        })();
    // rotate_half(x) = cat(-x[d/2:], x[:d/2]) (transformers' modeling_llama) as x·R.
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
      if (!same)
        throw new LlamaWeightsError(
          `weight ${key} has shape [${tensor.shape.join(", ")}], expected [${shape.join(", ")}]`,
        );
      if (tensor.data.length !== elementCount(shape))
        throw new LlamaWeightsError(`weight ${key} has ${tensor.data.length} values`);
    }
    // Old checkpoints store the rotary inverse frequencies; tied checkpoints may repeat lm_head.
    const ignorable = (key: string): boolean =>
      key.endsWith(".rotary_emb.inv_freq") || (config.tieWordEmbeddings && key === "lm_head.weight");
    const unknown = [...weights.keys()].filter((key) => !expected.has(key) && !ignorable(key));
    if (unknown.length > 0) {
      throw new LlamaWeightsError(
        `unexpected weights for a ${config.modelType} model: ${unknown.slice(0, 5).join(", ")}${unknown.length > 5 ? ", …" : ""}`,
      );
    }
    return new LlamaModel(config, weights, options);
  }

  parameterCount(): number {
    return parameterCount(this.config);
  }

  /** Every base weight (norms, fused projections, embeddings, lm_head). */
  baseVariables(): tf.Variable[] {
    const list: tf.Variable[] = [this.embedTokens];
    for (const layer of this.layers) {
      for (const v of [
        layer.inputNorm,
        layer.qkv,
        layer.qkvBias,
        layer.o,
        layer.oBias,
        layer.postNorm,
        layer.gate,
        layer.gateBias,
        layer.up,
        layer.upBias,
        layer.down,
        layer.downBias,
      ]) {
        if (v !== undefined) list.push(v);
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
    if (this.disposed) throw new Error("LlamaModel used after dispose()");
    const [batch, length] = inputIds.shape;
    if (inputIds.dtype !== "int32")
      throw new LlamaWeightsError(`input ids must be int32, got ${inputIds.dtype}`);
    if (length === 0 || batch === 0)
      throw new LlamaWeightsError(`input ids must be non-empty, got [${batch}, ${length}]`);
    const ids = inputIds.dataSync();
    for (const id of ids) {
      if (id < 0 || id >= this.config.vocabSize)
        throw new LlamaWeightsError(`token id ${id} is outside the vocabulary [0, ${this.config.vocabSize})`);
    }
    const tables = this.positionTables(length);
    const training = options.training ?? false;
    const c = this.config;
    const tokens = batch * length;
    return tf.tidy(() => {
      let hidden = this.embed(tf.reshape<tf.Rank.R1>(inputIds, [tokens]));
      for (const [index, layer] of this.layers.entries()) {
        const normed = this.rmsNorm(hidden, layer.inputNorm);
        const qkv = this.project(normed, layer.qkv, layer.qkvBias, index, "qkv", lora, training);
        const attended = this.attention(qkv, batch, length, tables);
        hidden = tf.add(hidden, this.project(attended, layer.o, layer.oBias, index, "o", lora, training));
        const normed2 = this.rmsNorm(hidden, layer.postNorm);
        const gate = this.project(normed2, layer.gate, layer.gateBias, index, "gate", lora, training);
        const up = this.project(normed2, layer.up, layer.upBias, index, "up", lora, training);
        // SwiGLU: down(silu(gate) ⊙ up), silu(g) = g·σ(g).
        const activated = tf.mul<tf.Tensor2D>(tf.mul(gate, tf.sigmoid(gate)), up);
        hidden = tf.add(
          hidden,
          this.project(activated, layer.down, layer.downBias, index, "down", lora, training),
        );
      }
      const final = this.rmsNorm(hidden, this.finalNorm);
      return tf.reshape(this.lmHeadLogits(final), [batch, length, c.vocabSize]);
    });
  }

  /** The weights in HF layout and names (Linear [out, in]), e.g. to save a pretrained model. */
  exportWeights(): TensorMap {
    const out: TensorMap = new Map();
    const c = this.config;
    const read = (v: tf.Tensor): Float32Array => v.dataSync() as Float32Array;
    out.set("model.embed_tokens.weight", {
      shape: [c.vocabSize, c.hiddenSize],
      data: read(this.embedTokens).slice(),
    });
    const slots = projectionLayout(c);
    for (const [index, layer] of this.layers.entries()) {
      out.set(`model.layers.${index}.input_layernorm.weight`, {
        shape: [c.hiddenSize],
        data: read(layer.inputNorm).slice(),
      });
      const groups: Record<ProjectionGroup, [tf.Variable, tf.Variable | undefined]> = {
        qkv: [layer.qkv, layer.qkvBias],
        o: [layer.o, layer.oBias],
        gate: [layer.gate, layer.gateBias],
        up: [layer.up, layer.upBias],
        down: [layer.down, layer.downBias],
      };
      for (const slot of slots) {
        const [weight, bias] = groups[slot.group];
        const [rows = 0, cols = 0] = weight.shape;
        const path = hfModulePath(index, slot.module);
        out.set(`${path}.weight`, {
          shape: [slot.outFeatures, slot.inFeatures],
          data: sliceTransposed(read(weight), rows, cols, slot.offset, slot.outFeatures),
        });
        if (bias !== undefined) {
          out.set(`${path}.bias`, {
            shape: [slot.outFeatures],
            data: read(bias).slice(slot.offset, slot.offset + slot.outFeatures),
          });
        }
      }
      out.set(`model.layers.${index}.post_attention_layernorm.weight`, {
        shape: [c.hiddenSize],
        data: read(layer.postNorm).slice(),
      });
    }
    out.set("model.norm.weight", { shape: [c.hiddenSize], data: read(this.finalNorm).slice() });
    if (this.lmHead !== undefined) {
      out.set("lm_head.weight", {
        shape: [c.vocabSize, c.hiddenSize],
        data: sliceTransposed(read(this.lmHead), c.hiddenSize, c.vocabSize, 0, c.vocabSize),
      });
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const variable of this.baseVariables()) variable.dispose();
    this.rotation.dispose();
    this.rotationT.dispose();
    for (const tables of this.positionCache.values()) tf.dispose([tables.cos, tables.sin, tables.mask]);
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

  /** x · w for a base weight: frozen weights use a cached transpose in the backward pass. */
  private linear(x: tf.Tensor2D, weight: tf.Variable<tf.Rank.R2>): tf.Tensor2D {
    if (this.baseTrainable) return trainableLinear(x, weight);
    return frozenLinear(x, weight, () => this.transposed(weight));
  }

  private project(
    x: tf.Tensor2D,
    weight: tf.Variable<tf.Rank.R2>,
    bias: tf.Variable<tf.Rank.R1> | undefined,
    layer: number,
    group: ProjectionGroup,
    lora: LoraHook | undefined,
    training: boolean,
  ): tf.Tensor2D {
    let out = this.linear(x, weight);
    if (bias !== undefined) out = tf.add(out, bias);
    return lora === undefined ? out : lora.applyLora(layer, group, x, out, training);
  }

  private embed(ids: tf.Tensor1D): tf.Tensor2D {
    const lookup =
      this.embeddingLookup === "auto"
        ? this.baseTrainable && tf.getBackend() === "wasm"
          ? "onehot"
          : "gather"
        : this.embeddingLookup;
    if (lookup === "gather") return tf.gather(this.embedTokens, ids);
    const oneHot = tf.cast(tf.oneHot(ids, this.config.vocabSize), "float32") as tf.Tensor2D;
    return this.baseTrainable
      ? weightOnlyLinear(oneHot, this.embedTokens)
      : tf.matMul(oneHot, this.embedTokens);
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

  /**
   * Rotary embeddings and grouped-query causal attention over the fused q|k|v projection [N, F].
   * Heads go outermost ([heads, B, T, d]) so that q, k and v are contiguous slices. Query heads that
   * share a key/value head are stacked along time ([kvHeads·B, g·T, d]): exactly transformers'
   * repeat_kv (head h reads kv head ⌊h/g⌋) without copying k and v.
   */
  private attention(qkv: tf.Tensor2D, batch: number, length: number, tables: PositionTables): tf.Tensor2D {
    const c = this.config;
    const d = c.headDim;
    const heads = c.numHeads + 2 * c.numKvHeads;
    const width = heads * d;
    const tokens = batch * length;
    const group = c.numHeads / c.numKvHeads;
    const rotated = frozenLinear(tf.reshape(qkv, [tokens * heads, d]), this.rotation, () => this.rotationT);
    const roped = tf.add(
      tf.mul(tf.reshape(qkv, [batch, length, width]), tables.cos),
      tf.mul(tf.reshape(rotated, [batch, length, width]), tables.sin),
    );
    const byHead = tf.transpose(tf.reshape(roped, [batch, length, heads, d]), [2, 0, 1, 3]);
    const [q, k, v] = tf.split(byHead, [c.numHeads, c.numKvHeads, c.numKvHeads], 0);
    const slices = c.numKvHeads * batch;
    const queries = tf.reshape(
      tf.transpose(tf.reshape(q as tf.Tensor, [c.numKvHeads, group, batch, length, d]), [0, 2, 1, 3, 4]),
      [slices, group * length, d],
    );
    const keysT = tf.transpose(tf.reshape(k as tf.Tensor, [slices, length, d]), [0, 2, 1]);
    const values = tf.reshape(v as tf.Tensor, [slices, length, d]);
    // The 1/√d scale is folded into the query rows of the rotary tables.
    const scores = tf.add(this.batchMatMul(queries, keysT), tables.mask);
    const context = this.batchMatMul(tf.softmax(scores), values);
    const merged = tf.transpose(
      tf.reshape(context, [c.numKvHeads, batch, group, length, d]),
      [1, 3, 0, 2, 4],
    );
    return tf.reshape(merged, [tokens, c.numHeads * d]);
  }

  private batchMatMul(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
    return this.sliceBatchedProducts ? slicedBatchMatMul(a, b) : tf.matMul(a, b);
  }

  private positionTables(length: number): PositionTables {
    const cached = this.positionCache.get(length);
    if (cached !== undefined) return cached;
    const c = this.config;
    const d = c.headDim;
    const half = d / 2;
    const heads = c.numHeads + 2 * c.numKvHeads;
    const width = heads * d;
    const scale = 1 / Math.sqrt(d);
    // transformers' LlamaRotaryEmbedding: inv_freq = 1 / θ^(2i/d) and angles in float32, emb = cat(freqs, freqs).
    const inverseFrequency = Array.from({ length: half }, (_, i) =>
      Math.fround(1 / Math.fround(c.ropeTheta ** Math.fround((2 * i) / d))),
    );
    const cos = new Float32Array(length * width);
    const sin = new Float32Array(length * width);
    for (let t = 0; t < length; t++) {
      for (let j = 0; j < d; j++) {
        const angle = Math.fround(t * (inverseFrequency[j % half] ?? 0));
        const cosValue = Math.fround(Math.cos(angle));
        const sinValue = Math.fround(Math.sin(angle));
        for (let h = 0; h < heads; h++) {
          const at = t * width + h * d + j;
          if (h < c.numHeads) {
            cos[at] = cosValue * scale;
            sin[at] = sinValue * scale;
          } else if (h < c.numHeads + c.numKvHeads) {
            cos[at] = cosValue;
            sin[at] = sinValue;
          } else {
            cos[at] = 1;
          }
        }
      }
    }
    const group = c.numHeads / c.numKvHeads;
    const mask = new Float32Array(group * length * length);
    for (let row = 0; row < group * length; row++) {
      const t = row % length;
      for (let s = t + 1; s < length; s++) mask[row * length + s] = MASKED;
    }
    if (this.positionCache.size >= MAX_CACHED_LENGTHS) {
      const [oldest, tables] = this.positionCache.entries().next().value as [number, PositionTables];
      tf.dispose([tables.cos, tables.sin, tables.mask]);
      this.positionCache.delete(oldest);
    }
    const tables: PositionTables = {
      cos: tf.keep(tf.tensor2d(cos, [length, width])),
      sin: tf.keep(tf.tensor2d(sin, [length, width])),
      mask: tf.keep(tf.tensor2d(mask, [group * length, length])),
    };
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
