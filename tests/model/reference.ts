// An independent float64 LLaMA forward pass in plain loops (no model code), after transformers' modeling_llama.py.
import type { LlamaConfig } from "../../model/config.ts";
import type { TensorMap } from "../../model/safetensors.ts";

function weight(weights: TensorMap, key: string): Float32Array {
  const tensor = weights.get(key);
  if (tensor === undefined) throw new Error(`reference: missing ${key}`);
  return tensor.data;
}

/** y[t] = x[t] · Wᵀ + b for W [out, in] row-major. */
function linear(x: Float64Array[], w: Float32Array, out: number, bias?: Float32Array): Float64Array[] {
  return x.map((row) => {
    const inFeatures = row.length;
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let sum = bias === undefined ? 0 : (bias[o] ?? 0);
      for (let i = 0; i < inFeatures; i++) sum += (row[i] ?? 0) * (w[o * inFeatures + i] ?? 0);
      y[o] = sum;
    }
    return y;
  });
}

function rmsNorm(x: Float64Array[], w: Float32Array, eps: number): Float64Array[] {
  return x.map((row) => {
    let sumSquares = 0;
    for (const value of row) sumSquares += value * value;
    const inv = 1 / Math.sqrt(sumSquares / row.length + eps);
    return row.map((value, i) => value * inv * (w[i] ?? 0));
  });
}

/** apply_rotary_pos_emb for one head vector at position t: x·cos + rotate_half(x)·sin. */
function rope(x: Float64Array, t: number, theta: number): Float64Array {
  const d = x.length;
  const half = d / 2;
  const out = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const angle = t / theta ** ((2 * (j % half)) / d);
    const rotated = j < half ? -(x[j + half] ?? 0) : (x[j - half] ?? 0);
    out[j] = (x[j] ?? 0) * Math.cos(angle) + rotated * Math.sin(angle);
  }
  return out;
}

function optional(weights: TensorMap, key: string): Float32Array | undefined {
  return weights.get(key)?.data;
}

/** Logits [T, vocab] for one sequence. */
export function referenceLogits(
  config: LlamaConfig,
  weights: TensorMap,
  ids: readonly number[],
): Float64Array[] {
  const c = config;
  const d = c.headDim;
  const embed = weight(weights, "model.embed_tokens.weight");
  let h = ids.map((id) => Float64Array.from(embed.subarray(id * c.hiddenSize, (id + 1) * c.hiddenSize)));
  const length = ids.length;
  for (let layer = 0; layer < c.numLayers; layer++) {
    const p = `model.layers.${layer}`;
    const x = rmsNorm(h, weight(weights, `${p}.input_layernorm.weight`), c.rmsNormEps);
    const q = linear(
      x,
      weight(weights, `${p}.self_attn.q_proj.weight`),
      c.numHeads * d,
      optional(weights, `${p}.self_attn.q_proj.bias`),
    );
    const k = linear(
      x,
      weight(weights, `${p}.self_attn.k_proj.weight`),
      c.numKvHeads * d,
      optional(weights, `${p}.self_attn.k_proj.bias`),
    );
    const v = linear(
      x,
      weight(weights, `${p}.self_attn.v_proj.weight`),
      c.numKvHeads * d,
      optional(weights, `${p}.self_attn.v_proj.bias`),
    );
    const attended = Array.from({ length }, () => new Float64Array(c.numHeads * d));
    for (let head = 0; head < c.numHeads; head++) {
      const kvHead = Math.floor(head / (c.numHeads / c.numKvHeads));
      const qs = q.map((row, t) => rope(row.slice(head * d, (head + 1) * d), t, c.ropeTheta));
      const ks = k.map((row, t) => rope(row.slice(kvHead * d, (kvHead + 1) * d), t, c.ropeTheta));
      for (let t = 0; t < length; t++) {
        const scores: number[] = [];
        for (let s = 0; s <= t; s++) {
          let dot = 0;
          for (let j = 0; j < d; j++) dot += (qs[t]?.[j] ?? 0) * (ks[s]?.[j] ?? 0);
          scores.push(dot / Math.sqrt(d));
        }
        const max = Math.max(...scores);
        const exps = scores.map((score) => Math.exp(score - max));
        const total = exps.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) {
          const weightTs = (exps[s] ?? 0) / total;
          for (let j = 0; j < d; j++) {
            const row = attended[t];
            if (row !== undefined)
              row[head * d + j] = (row[head * d + j] ?? 0) + weightTs * (v[s]?.[kvHead * d + j] ?? 0);
          }
        }
      }
    }
    const o = linear(
      attended,
      weight(weights, `${p}.self_attn.o_proj.weight`),
      c.hiddenSize,
      optional(weights, `${p}.self_attn.o_proj.bias`),
    );
    h = h.map((row, t) => row.map((value, i) => value + (o[t]?.[i] ?? 0)));
    const x2 = rmsNorm(h, weight(weights, `${p}.post_attention_layernorm.weight`), c.rmsNormEps);
    const gate = linear(
      x2,
      weight(weights, `${p}.mlp.gate_proj.weight`),
      c.intermediateSize,
      optional(weights, `${p}.mlp.gate_proj.bias`),
    );
    const up = linear(
      x2,
      weight(weights, `${p}.mlp.up_proj.weight`),
      c.intermediateSize,
      optional(weights, `${p}.mlp.up_proj.bias`),
    );
    const act = gate.map((row, t) => row.map((g, i) => (g / (1 + Math.exp(-g))) * (up[t]?.[i] ?? 0)));
    const down = linear(
      act,
      weight(weights, `${p}.mlp.down_proj.weight`),
      c.hiddenSize,
      optional(weights, `${p}.mlp.down_proj.bias`),
    );
    h = h.map((row, t) => row.map((value, i) => value + (down[t]?.[i] ?? 0)));
  }
  const final = rmsNorm(h, weight(weights, "model.norm.weight"), c.rmsNormEps);
  const head = c.tieWordEmbeddings ? embed : weight(weights, "lm_head.weight");
  return linear(final, head, c.vocabSize);
}
