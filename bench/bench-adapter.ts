// What the aggregation-only round benches share: an adapter of a chosen length, and which sites drop out.
import { describeAdapter } from "../coordinator/server.ts";
import { parseLlamaConfig } from "../model/config.ts";

/**
 * An FFA-LoRA adapter on q_proj and v_proj of one layer, which trains 2·width·rank B weights: rank 64
 * or 50, whichever makes `dim` exact with a width that is a multiple of 8 (2^20: width 8192 at rank 64;
 * 100,000: width 1000 at rank 50), else rank 50 at the nearest such width.
 */
export function adapterOfDimension(dim: number, baseModelHash: string) {
  const exact = [64, 50].find((r) => dim % (2 * r) === 0 && (dim / (2 * r)) % 8 === 0);
  const rank = exact ?? 50;
  const hidden = Math.max(8, Math.round(dim / (2 * rank) / 8) * 8);
  const model = parseLlamaConfig({
    hidden_size: hidden,
    intermediate_size: 2 * hidden,
    num_hidden_layers: 1,
    num_attention_heads: 4,
    vocab_size: 256,
  });
  const lora = {
    r: rank,
    alpha: 2 * rank,
    dropout: 0,
    targetModules: ["q_proj", "v_proj"],
    mode: "ffa" as const,
    seed: 1,
  };
  return { lora, adapter: describeAdapter(model, lora, baseModelHash, null) };
}

/**
 * Whether the index-th site (from 0) drops out, for a `dropout` share of the sites: every k-th, k = 1/dropout
 * rounded, so the count is exact and the same in every run.
 */
export function dropsOutAt(index: number, dropout: number): boolean {
  const every = dropout > 0 ? Math.round(1 / dropout) : 0;
  return every > 0 && index % every === every - 1;
}
