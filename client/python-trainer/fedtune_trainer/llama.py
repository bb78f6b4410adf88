"""A compact LLaMA-family causal LM in plain PyTorch (LLaMA, Mistral, Qwen2 layouts) with PEFT-style LoRA.

Used when `transformers` and `peft` are not installed. It follows transformers' LlamaForCausalLM
(RMSNorm, rotary embeddings with rotate_half, grouped-query attention, SwiGLU MLP, optional tied
lm_head) and PEFT's LoraLayer: y = W x + b + B(A(dropout(x))) * scaling.
"""

import json
import math
import os

import torch
from torch import nn
from torch.nn import functional as F

from . import safetensors_io

ATTENTION = ("q_proj", "k_proj", "v_proj", "o_proj")
MLP = ("gate_proj", "up_proj", "down_proj")


class Config:
    def __init__(self, raw):
        if raw.get("rope_scaling") not in (None, {}):
            raise ValueError("rope_scaling is not supported by the pure-PyTorch model (install transformers)")
        self.model_type = raw.get("model_type", "llama")
        self.hidden_size = raw["hidden_size"]
        self.intermediate_size = raw["intermediate_size"]
        self.num_layers = raw["num_hidden_layers"]
        self.num_heads = raw["num_attention_heads"]
        self.num_kv_heads = raw.get("num_key_value_heads") or self.num_heads
        self.head_dim = raw.get("head_dim") or self.hidden_size // self.num_heads
        self.rms_norm_eps = raw.get("rms_norm_eps", 1e-6)
        self.rope_theta = raw.get("rope_theta", 10000.0)
        self.vocab_size = raw["vocab_size"]
        self.tie_word_embeddings = raw.get("tie_word_embeddings", False)
        qwen2 = self.model_type == "qwen2"
        self.qkv_bias = qwen2 or raw.get("attention_bias", False)
        self.o_bias = (not qwen2) and raw.get("attention_bias", False)
        self.mlp_bias = raw.get("mlp_bias", False)

    @staticmethod
    def read(folder):
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as handle:
            return Config(json.load(handle))


class LoraLinear(nn.Module):
    """A frozen linear layer with an optional LoRA pair (A [r, in], B [out, r]) added to its output."""

    def __init__(self, in_features, out_features, bias):
        super().__init__()
        self.base = nn.Linear(in_features, out_features, bias=bias)
        self.base.requires_grad_(False)
        self.lora_A = None
        self.lora_B = None
        self.scaling = 0.0
        self.dropout = nn.Identity()

    def add_lora(self, r, scaling, dropout):
        self.lora_A = nn.Linear(self.base.in_features, r, bias=False)
        self.lora_B = nn.Linear(r, self.base.out_features, bias=False)
        self.scaling = scaling
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x):
        out = self.base(x)
        if self.lora_A is not None:
            out = out + self.lora_B(self.lora_A(self.dropout(x))) * self.scaling
        return out


class RmsNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size), requires_grad=False)
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        h, d = c.hidden_size, c.head_dim
        self.q_proj = LoraLinear(h, c.num_heads * d, c.qkv_bias)
        self.k_proj = LoraLinear(h, c.num_kv_heads * d, c.qkv_bias)
        self.v_proj = LoraLinear(h, c.num_kv_heads * d, c.qkv_bias)
        self.o_proj = LoraLinear(c.num_heads * d, h, c.o_bias)
        self.gate_proj = LoraLinear(h, c.intermediate_size, c.mlp_bias)
        self.up_proj = LoraLinear(h, c.intermediate_size, c.mlp_bias)
        self.down_proj = LoraLinear(c.intermediate_size, h, c.mlp_bias)
        self.input_layernorm = RmsNorm(h, c.rms_norm_eps)
        self.post_attention_layernorm = RmsNorm(h, c.rms_norm_eps)

    def attention(self, x, cos, sin):
        c = self.c
        batch, length, _ = x.shape
        q = self.q_proj(x).view(batch, length, c.num_heads, c.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, length, c.num_kv_heads, c.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, length, c.num_kv_heads, c.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        group = c.num_heads // c.num_kv_heads
        k = k.repeat_interleave(group, dim=1)
        v = v.repeat_interleave(group, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(c.head_dim)
        causal = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
        scores = scores.masked_fill(causal, float("-inf"))
        context = torch.softmax(scores.float(), dim=-1).to(q.dtype) @ v
        return self.o_proj(context.transpose(1, 2).reshape(batch, length, c.num_heads * c.head_dim))

    def forward(self, x, cos, sin):
        x = x + self.attention(self.input_layernorm(x), cos, sin)
        normed = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(normed)) * self.up_proj(normed))


class LlamaLm(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(Layer(c) for _ in range(c.num_layers))
        self.norm = RmsNorm(c.hidden_size, c.rms_norm_eps)
        self.lm_head = None if c.tie_word_embeddings else nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        self.requires_grad_(False)

    def rotary(self, length, device):
        d = self.c.head_dim
        inv_freq = 1.0 / (self.c.rope_theta ** (torch.arange(0, d, 2, dtype=torch.float32, device=device) / d))
        angles = torch.arange(length, dtype=torch.float32, device=device)[:, None] * inv_freq[None, :]
        angles = torch.cat((angles, angles), dim=-1)
        return angles.cos(), angles.sin()

    def forward(self, input_ids):
        x = self.embed_tokens(input_ids)
        cos, sin = self.rotary(input_ids.shape[1], input_ids.device)
        for layer in self.layers:
            x = layer(x, cos.to(x.dtype), sin.to(x.dtype))
        x = self.norm(x)
        return x @ self.embed_tokens.weight.t() if self.lm_head is None else self.lm_head(x)

    @staticmethod
    def from_folder(folder):
        c = Config.read(folder)
        model = LlamaLm(c)
        weights = safetensors_io.load_folder(folder)
        state = {}
        for name, tensor in weights.items():
            if name.endswith("rotary_emb.inv_freq") or (c.tie_word_embeddings and name == "lm_head.weight"):
                continue
            key = name[len("model.") :] if name.startswith("model.") else name
            key = key.replace("self_attn.", "").replace("mlp.", "")
            key = key.replace("_proj.weight", "_proj.base.weight").replace("_proj.bias", "_proj.base.bias")
            state[key] = tensor.float()
        missing, unexpected = model.load_state_dict(state, strict=False)
        missing = [m for m in missing if "lora_" not in m]
        if missing or unexpected:
            raise ValueError(f"{folder}: weights do not match config.json (missing {missing[:3]}, unexpected {unexpected[:3]})")
        return model

    def lora_modules(self):
        """(PEFT module path, LoraLinear) for every projection."""
        for index, layer in enumerate(self.layers):
            for name in ATTENTION + MLP:
                group = "self_attn" if name in ATTENTION else "mlp"
                yield f"base_model.model.model.layers.{index}.{group}.{name}", getattr(layer, name)
