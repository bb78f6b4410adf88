// config.json parsing: defaults, GQA and head_dim, Qwen2 biases, rope settings of transformers 4 and 5, errors.
import { describe, expect, it } from "vitest";
import { ModelConfigError, parseLlamaConfig, toHfConfig } from "../../model/config.ts";

const base = {
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  vocab_size: 100,
};

describe("parseLlamaConfig", () => {
  it("applies transformers' LlamaConfig defaults", () => {
    const config = parseLlamaConfig(base);
    expect(config).toMatchObject({
      modelType: "llama",
      numKvHeads: 4,
      headDim: 16,
      rmsNormEps: 1e-6,
      ropeTheta: 10000,
      tieWordEmbeddings: false,
      qkvBias: false,
      oBias: false,
      eosTokenIds: [],
    });
  });

  it("gives Qwen2 q/k/v biases but no o_proj bias, and LLaMA attention_bias all four", () => {
    expect(parseLlamaConfig({ ...base, model_type: "qwen2" })).toMatchObject({ qkvBias: true, oBias: false });
    expect(parseLlamaConfig({ ...base, attention_bias: true })).toMatchObject({ qkvBias: true, oBias: true });
  });

  it("reads rope_theta from transformers 5's rope_parameters and refuses scaled RoPE", () => {
    expect(
      parseLlamaConfig({ ...base, rope_parameters: { rope_theta: 5e5, rope_type: "default" } }).ropeTheta,
    ).toBe(5e5);
    expect(parseLlamaConfig({ ...base, rope_theta: 1234, rope_scaling: null }).ropeTheta).toBe(1234);
    expect(() => parseLlamaConfig({ ...base, rope_scaling: { rope_type: "llama3", factor: 8 } })).toThrow(
      /rope_scaling.rope_type: only default/,
    );
  });

  it("names the field of every invalid value", () => {
    expect(() => parseLlamaConfig({ ...base, num_key_value_heads: 3 })).toThrow(/not a multiple/);
    expect(() => parseLlamaConfig({ ...base, hidden_act: "gelu" })).toThrow(/hidden_act/);
    expect(() => parseLlamaConfig({ ...base, vocab_size: -1 })).toThrow(ModelConfigError);
    expect(() => parseLlamaConfig({ ...base, model_type: "gpt2" })).toThrow(/model_type/);
    expect(() => parseLlamaConfig({ ...base, head_dim: 7 })).toThrow(/even integer/);
  });

  it("writes a config.json that parses back to the same config", () => {
    const config = parseLlamaConfig({
      ...base,
      num_key_value_heads: 2,
      eos_token_id: [2, 7],
      bos_token_id: 1,
    });
    expect(parseLlamaConfig(JSON.parse(JSON.stringify(toHfConfig(config))))).toEqual(config);
  });
});
