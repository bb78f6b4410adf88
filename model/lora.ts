// LoRA adapters (Hu et al., 2021) for LlamaModel with PEFT's semantics, and FFA-LoRA (Sun et al., ICLR 2024).
import * as tf from "@tensorflow/tfjs";
import type { LlamaConfig } from "./config.ts";
import type { LoraTargetModule } from "./architecture.ts";
import { batchedProductForBackend, frozenLinear, trainableLinear } from "./fast-matmul.ts";
import type { LoraHook } from "./llama.ts";
import {
  LoraError,
  checkLoraTensors,
  initialLoraTensors,
  loraFlatLength,
  loraParameterLayout,
  loraScaling,
  parseLoraConfig,
  type LoraConfig,
  type LoraParameter,
} from "./lora-layout.ts";
import { transposeMatrix } from "./matrix.ts";
import { SeededStream } from "./prng.ts";
import type { TensorMap } from "./safetensors.ts";

export { LoraError, parseLoraConfig, type LoraConfig, type LoraMode } from "./lora-layout.ts";

export interface LoraAdapter extends LoraHook {
  readonly config: LoraConfig;
  readonly modelConfig: LlamaConfig;
  /** The variables an optimiser updates: every A and B in standard mode, only the Bs in ffa mode. */
  trainableVariables(): tf.Variable[];
  /** Number of values in flatten(). */
  readonly flatLength: number;
  /**
   * ffa mode: a hook that uses per-example copies of the Bᵀs, [n, r, out] each in trainableVariables()
   * order, for a batch of n sequences; the gradient of the batch's summed loss with respect to them is
   * every example's own gradient, from one backward pass (DP-SGD's per-example clipping). Undefined in
   * standard mode, where the As train too.
   */
  perExampleHook(perExampleBT: readonly tf.Tensor3D[]): LoraHook | undefined;
  /**
   * The trainable parameters as one vector in loraParameterLayout order (layers ascending, modules
   * q, k, v, o, gate, up, down, A before B, each row-major in PEFT shape; ffa: Bs only).
   */
  flatten(): Float32Array;
  /** Inverse of flatten(); the length must match exactly. */
  assign(flat: Float32Array): void;
  /** Every A and B (also the frozen As in ffa mode) under PEFT keys and shapes. */
  namedTensors(): TensorMap;
  /** Sets every A and B from PEFT-keyed tensors (exact keys and shapes). */
  assignTensors(tensors: TensorMap): void;
  dispose(): void;
}

interface ModuleWeights {
  /** Aᵀ [in, r], so that the forward product is a plain x·Aᵀ. */
  readonly aT: tf.Variable<tf.Rank.R2>;
  /** Bᵀ [r, out]. */
  readonly bT: tf.Variable<tf.Rank.R2>;
  readonly aParameter: LoraParameter;
  readonly bParameter: LoraParameter;
}

class TfLoraAdapter implements LoraAdapter {
  readonly flatLength: number;
  /** Keyed by `${layer}/${module}`, in layout order. */
  private readonly modules: ReadonlyMap<string, ModuleWeights>;
  private readonly scaling: number;
  private readonly dropoutSeeds: SeededStream;
  /** ffa mode: the transposes of the frozen Aᵀs for the backward pass, made on first use. */
  private readonly frozenA = new Map<tf.Tensor, tf.Tensor2D>();
  private disposed = false;

  constructor(
    readonly modelConfig: LlamaConfig,
    readonly config: LoraConfig,
  ) {
    const layout = loraParameterLayout(modelConfig, config);
    this.flatLength = loraFlatLength(modelConfig, config);
    this.scaling = loraScaling(config);
    this.dropoutSeeds = new SeededStream(config.seed, "lora-dropout");
    const initial = initialLoraTensors(modelConfig, config);
    const modules = new Map<string, ModuleWeights>();
    for (let i = 0; i < layout.length; i += 2) {
      const aParameter = layout[i];
      const bParameter = layout[i + 1];
      if (aParameter === undefined || bParameter === undefined)
        throw new LoraError("internal: unpaired LoRA layout");
      const [r, inFeatures] = aParameter.shape;
      const [outFeatures] = bParameter.shape;
      const aData = initial.get(aParameter.key)?.data ?? new Float32Array(r * inFeatures);
      // tf.variable shares the initial tensor's data; the tidy frees that tensor, the variable keeps it.
      const aT = tf.tidy(() =>
        tf.variable(
          tf.tensor2d(transposeMatrix(aData, r, inFeatures), [inFeatures, r]),
          aParameter.trainable,
        ),
      );
      const bT = tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R2>([r, outFeatures]), true));
      modules.set(`${aParameter.layer}/${aParameter.module}`, { aT, bT, aParameter, bParameter });
    }
    this.modules = modules;
  }

  trainableVariables(): tf.Variable[] {
    const list: tf.Variable[] = [];
    for (const { aT, bT, aParameter } of this.modules.values()) {
      if (aParameter.trainable) list.push(aT);
      list.push(bT);
    }
    return list;
  }

  applyLora(
    layer: number,
    module: LoraTargetModule,
    input: tf.Tensor2D,
    base: tf.Tensor2D,
    training: boolean,
  ): tf.Tensor2D {
    this.checkAlive();
    const weights = this.modules.get(`${layer}/${module}`);
    if (weights === undefined) return base;
    // PEFT: lora_B(lora_A(dropout(x))) · scaling, each module with its own nn.Dropout.
    const x =
      training && this.config.dropout > 0
        ? (tf.dropout(input, this.config.dropout, undefined, this.dropoutSeeds.nextUint32()) as tf.Tensor2D)
        : input;
    const down = weights.aParameter.trainable
      ? trainableLinear(x, weights.aT)
      : frozenLinear(x, weights.aT, () => this.frozenTranspose(weights.aT));
    return tf.add(base, trainableLinear(tf.mul(down, this.scaling), weights.bT));
  }

  perExampleHook(perExampleBT: readonly tf.Tensor3D[]): LoraHook | undefined {
    this.checkAlive();
    if (this.config.mode !== "ffa") return undefined;
    const byModule = new Map<string, { weights: ModuleWeights; bT: tf.Tensor3D }>();
    let i = 0;
    for (const [key, weights] of this.modules) {
      const bT = perExampleBT[i++];
      if (bT === undefined || bT.shape[1] !== weights.bT.shape[0] || bT.shape[2] !== weights.bT.shape[1])
        throw new LoraError(`per-example Bᵀ ${i - 1} does not match module ${key}`);
      byModule.set(key, { weights, bT });
    }
    if (perExampleBT.length !== i)
      throw new LoraError(`${perExampleBT.length} per-example Bᵀs for ${i} modules`);
    // tfjs-wasm multiplies batched matrices in a naive loop; its depthwise form is faster here too.
    const batchedProduct = batchedProductForBackend();
    return {
      applyLora: (layer, module, input, base, training) => {
        const entry = byModule.get(`${layer}/${module}`);
        if (entry === undefined) return base;
        const x =
          training && this.config.dropout > 0
            ? (tf.dropout(
                input,
                this.config.dropout,
                undefined,
                this.dropoutSeeds.nextUint32(),
              ) as tf.Tensor2D)
            : input;
        const down = frozenLinear(x, entry.weights.aT, () => this.frozenTranspose(entry.weights.aT));
        const [n, r, out] = entry.bT.shape;
        // Rows are n sequences of equal length: [n·T, r] → [n, T, r] · [n, r, out] → [n·T, out].
        const perSequence = tf.reshape<tf.Rank.R3>(tf.mul(down, this.scaling), [n, input.shape[0] / n, r]);
        return tf.add(base, tf.reshape(batchedProduct(perSequence, entry.bT), [input.shape[0], out]));
      },
    };
  }

  flatten(): Float32Array {
    this.checkAlive();
    const out = new Float32Array(this.flatLength);
    let offset = 0;
    for (const { parameter, variable } of this.parameters()) {
      if (!parameter.trainable) continue;
      const data = this.readPeft(parameter, variable);
      out.set(data, offset);
      offset += data.length;
    }
    return out;
  }

  assign(flat: Float32Array): void {
    this.checkAlive();
    if (flat.length !== this.flatLength) {
      throw new LoraError(`flat LoRA vector has ${flat.length} values, this adapter has ${this.flatLength}`);
    }
    let offset = 0;
    for (const { parameter, variable } of this.parameters()) {
      if (!parameter.trainable) continue;
      const size = parameter.shape[0] * parameter.shape[1];
      this.writePeft(parameter, variable, flat.subarray(offset, offset + size));
      offset += size;
    }
  }

  namedTensors(): TensorMap {
    this.checkAlive();
    const out: TensorMap = new Map();
    for (const { parameter, variable } of this.parameters()) {
      out.set(parameter.key, { shape: parameter.shape, data: this.readPeft(parameter, variable) });
    }
    return out;
  }

  assignTensors(tensors: TensorMap): void {
    this.checkAlive();
    checkLoraTensors(this.modelConfig, this.config, tensors);
    for (const { parameter, variable } of this.parameters()) {
      this.writePeft(parameter, variable, tensors.get(parameter.key)?.data ?? new Float32Array());
    }
    this.clearFrozenA();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const { variable } of this.parameters()) variable.dispose();
    this.clearFrozenA();
  }

  // -------------------------------------------------------------------------------------------

  private checkAlive(): void {
    if (this.disposed) throw new LoraError("LoRA adapter used after dispose()");
  }

  /** Every A and B in layout order with its variable. */
  private *parameters(): Generator<{ parameter: LoraParameter; variable: tf.Variable<tf.Rank.R2> }> {
    for (const m of this.modules.values()) {
      yield { parameter: m.aParameter, variable: m.aT };
      yield { parameter: m.bParameter, variable: m.bT };
    }
  }

  /** The variable holds the PEFT matrix transposed; PEFT data is row-major in `parameter.shape`. */
  private readPeft(parameter: LoraParameter, variable: tf.Variable<tf.Rank.R2>): Float32Array {
    const [rows, cols] = parameter.shape;
    return transposeMatrix(variable.dataSync() as Float32Array, cols, rows);
  }

  private writePeft(parameter: LoraParameter, variable: tf.Variable<tf.Rank.R2>, data: Float32Array): void {
    const [rows, cols] = parameter.shape;
    tf.tidy(() => variable.assign(tf.tensor2d(transposeMatrix(data, rows, cols), [cols, rows])));
  }

  private frozenTranspose(aT: tf.Variable<tf.Rank.R2>): tf.Tensor2D {
    let cached = this.frozenA.get(aT);
    if (cached === undefined) {
      cached = tf.keep(tf.transpose(aT));
      this.frozenA.set(aT, cached);
    }
    return cached;
  }

  private clearFrozenA(): void {
    for (const tensor of this.frozenA.values()) tensor.dispose();
    this.frozenA.clear();
  }
}

/**
 * A LoRA adapter for `model` with PEFT's initialisation (seeded Kaiming-uniform A, zero B), so the
 * adapted model starts equal to the base model. Pass it to model.forward(ids, adapter).
 */
export function createLoraAdapter(model: { readonly config: LlamaConfig }, config: LoraConfig): LoraAdapter {
  return new TfLoraAdapter(model.config, parseLoraConfig(config));
}
