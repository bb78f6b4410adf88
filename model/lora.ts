// LoRA adapters (Hu et al., 2021) for LlamaModel with PEFT's semantics, and FFA-LoRA (Sun et al., ICLR 2024).
import * as tf from "@tensorflow/tfjs";
import type { LlamaConfig } from "./config.ts";
import type { LoraTargetModule, ProjectionGroup } from "./architecture.ts";
import { frozenLinear, trainableLinear, type LoraHook } from "./llama.ts";
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
  readonly module: LoraTargetModule;
  readonly offset: number;
  readonly outFeatures: number;
  /** Aᵀ [in, r], so that the forward product is a plain x·Aᵀ. */
  readonly aT: tf.Variable<tf.Rank.R2>;
  /** Bᵀ [r, out]. */
  readonly bT: tf.Variable<tf.Rank.R2>;
  readonly aParameter: LoraParameter;
  readonly bParameter: LoraParameter;
}

interface GroupWeights {
  readonly modules: readonly ModuleWeights[];
  /** Width of the group's fused projection output. */
  readonly width: number;
}

const GROUP_WIDTH = (config: LlamaConfig, group: ProjectionGroup): number => {
  switch (group) {
    case "qkv":
      return (config.numHeads + 2 * config.numKvHeads) * config.headDim;
    case "o":
    case "down":
      return config.hiddenSize;
    case "gate":
    case "up":
      return config.intermediateSize;
  }
};

/** A row-major [rows, cols] matrix transposed. */
function transposeData(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] ?? 0;
  return out;
}

class TfLoraAdapter implements LoraAdapter {
  readonly flatLength: number;
  private readonly layout: readonly LoraParameter[];
  private readonly groups: ReadonlyMap<string, GroupWeights>;
  private readonly scaling: number;
  private readonly dropoutSeeds: SeededStream;
  /** ffa mode: per group, the frozen concatenated Aᵀ and its transpose, made once. */
  private readonly frozenA = new Map<string, { aT: tf.Tensor2D; a: tf.Tensor2D }>();
  private disposed = false;

  constructor(
    readonly modelConfig: LlamaConfig,
    readonly config: LoraConfig,
  ) {
    this.layout = loraParameterLayout(modelConfig, config);
    this.flatLength = loraFlatLength(modelConfig, config);
    this.scaling = loraScaling(config);
    this.dropoutSeeds = new SeededStream(config.seed, "lora-dropout");
    const initial = initialLoraTensors(modelConfig, config);
    const groups = new Map<string, { modules: ModuleWeights[]; width: number }>();
    for (let i = 0; i < this.layout.length; i += 2) {
      const aParameter = this.layout[i];
      const bParameter = this.layout[i + 1];
      if (aParameter === undefined || bParameter === undefined)
        throw new LoraError("internal: unpaired LoRA layout");
      const trainableA = config.mode === "standard";
      const [r, inFeatures] = aParameter.shape;
      const [outFeatures] = bParameter.shape;
      const aData = initial.get(aParameter.key)?.data ?? new Float32Array(r * inFeatures);
      const aT = tf.tidy(() =>
        tf.variable(tf.tensor2d(transposeData(aData, r, inFeatures), [inFeatures, r]), trainableA),
      );
      const bT = tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R2>([r, outFeatures]), true));
      const groupKey = `${aParameter.layer}/${aParameter.group}`;
      const group = groups.get(groupKey) ?? {
        modules: [],
        width: GROUP_WIDTH(modelConfig, aParameter.group),
      };
      group.modules.push({
        module: aParameter.module,
        offset: aParameter.offset,
        outFeatures,
        aT,
        bT,
        aParameter,
        bParameter,
      });
      groups.set(groupKey, group);
    }
    this.groups = groups;
  }

  trainableVariables(): tf.Variable[] {
    const list: tf.Variable[] = [];
    for (const group of this.groups.values()) {
      for (const m of group.modules) {
        if (this.config.mode === "standard") list.push(m.aT);
        list.push(m.bT);
      }
    }
    return list;
  }

  applyLora(
    layer: number,
    group: ProjectionGroup,
    input: tf.Tensor2D,
    base: tf.Tensor2D,
    training: boolean,
  ): tf.Tensor2D {
    this.checkAlive();
    const weights = this.groups.get(`${layer}/${group}`);
    if (weights === undefined) return base;
    const dropout = training && this.config.dropout > 0;
    let projected: tf.Tensor2D;
    if (dropout) {
      // PEFT gives each adapted module its own nn.Dropout, so each draws its own mask.
      const parts = weights.modules.map((m) =>
        this.downProjection(
          tf.dropout(input, this.config.dropout, undefined, this.dropoutSeeds.nextUint32()) as tf.Tensor2D,
          m.aT,
        ),
      );
      projected = parts.length === 1 ? (parts[0] as tf.Tensor2D) : tf.concat(parts, 1);
    } else {
      projected = this.sharedDownProjection(`${layer}/${group}`, input, weights);
    }
    const scaled = tf.mul<tf.Tensor2D>(projected, this.scaling);
    // One product for the whole fused group: the Bᵀs, each padded to its columns, stacked by rank.
    const blocks = weights.modules.map((m) =>
      m.offset === 0 && m.outFeatures === weights.width
        ? m.bT
        : tf.pad(m.bT, [
            [0, 0],
            [m.offset, weights.width - m.offset - m.outFeatures],
          ]),
    );
    const stacked = blocks.length === 1 ? (blocks[0] as tf.Tensor2D) : tf.concat(blocks, 0);
    return tf.add(base, trainableLinear(scaled, stacked));
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
    for (const group of this.groups.values()) {
      for (const m of group.modules) {
        yield { parameter: m.aParameter, variable: m.aT };
        yield { parameter: m.bParameter, variable: m.bT };
      }
    }
  }

  /** The variable holds the PEFT matrix transposed; PEFT data is row-major in `parameter.shape`. */
  private readPeft(parameter: LoraParameter, variable: tf.Variable<tf.Rank.R2>): Float32Array {
    const [rows, cols] = parameter.shape;
    return transposeData(variable.dataSync() as Float32Array, cols, rows);
  }

  private writePeft(parameter: LoraParameter, variable: tf.Variable<tf.Rank.R2>, data: Float32Array): void {
    const [rows, cols] = parameter.shape;
    tf.tidy(() => variable.assign(tf.tensor2d(transposeData(data, rows, cols), [cols, rows])));
  }

  private downProjection(x: tf.Tensor2D, aT: tf.Variable<tf.Rank.R2>): tf.Tensor2D {
    return this.config.mode === "standard"
      ? trainableLinear(x, aT)
      : frozenLinear(x, aT, () => tf.transpose(aT));
  }

  /** x·[A₁ᵀ | A₂ᵀ | …] for the group's modules in one product. */
  private sharedDownProjection(key: string, input: tf.Tensor2D, weights: GroupWeights): tf.Tensor2D {
    const aTs = weights.modules.map((m) => m.aT);
    if (this.config.mode === "standard") {
      return trainableLinear(input, aTs.length === 1 ? (aTs[0] as tf.Tensor2D) : tf.concat(aTs, 1));
    }
    let frozen = this.frozenA.get(key);
    if (frozen === undefined) {
      const aT = tf.keep(tf.concat(aTs, 1));
      frozen = { aT, a: tf.keep(tf.transpose(aT)) };
      this.frozenA.set(key, frozen);
    }
    const { aT, a } = frozen;
    return frozenLinear(input, aT, () => a);
  }

  private clearFrozenA(): void {
    for (const { aT, a } of this.frozenA.values()) tf.dispose([aT, a]);
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
