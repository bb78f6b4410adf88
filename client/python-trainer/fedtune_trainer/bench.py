"""Tokens/s of this trainer on a random LLaMA-shaped model, self-contained (python3 + torch only; JSON lines).

python3 -m fedtune_trainer.bench [--hidden 2048 --layers 16 ...] [--backend auto|hf|pytorch ...]
Builds an HF folder with random weights and a fedtune-trainer/1 task folder in a temporary directory,
runs the task through the same code path as a site (run.run_task), and prints one JSON object per
back-end: wall seconds (model load and adapter I/O included) and the steady per-step rate.
"""

import argparse
import contextlib
import io
import json
import math
import os
import tempfile
import time

import torch

from . import safetensors_io
from .backends import has_hf_stack
from .run import PROTOCOL, run_task


def write_model(folder, args):
    heads = args.hidden // 128 if args.hidden >= 1024 else max(1, args.hidden // 64)
    config = {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": args.hidden,
        "intermediate_size": args.intermediate or int(math.ceil(args.hidden * 8 / 3 / 256) * 256),
        "num_hidden_layers": args.layers, "num_attention_heads": heads,
        "num_key_value_heads": max(1, heads // 2), "head_dim": args.hidden // heads, "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0, "vocab_size": args.vocab, "tie_word_embeddings": False,
        "max_position_embeddings": args.seq_len + 1, "bos_token_id": 0, "eos_token_id": 1, "pad_token_id": 2,
        "torch_dtype": "float32",
    }
    with open(os.path.join(folder, "config.json"), "w", encoding="utf-8") as handle:
        json.dump(config, handle)
    from .llama import Config, LlamaLm

    model = LlamaLm(Config(config))
    generator = torch.Generator().manual_seed(0)
    tensors = {}
    for name, tensor in model.state_dict().items():
        key = "model." + name.replace(".base.", ".")
        for module in ("q_proj", "k_proj", "v_proj", "o_proj"):
            key = key.replace(f".{module}", f".self_attn.{module}")
        for module in ("gate_proj", "up_proj", "down_proj"):
            key = key.replace(f".{module}", f".mlp.{module}")
        key = key.replace("model.lm_head", "lm_head")
        is_norm = "norm" in key
        tensors[key] = torch.ones_like(tensor) if is_norm else torch.randn(tensor.shape, generator=generator) * 0.02
    del model
    safetensors_io.save(tensors, os.path.join(folder, "model.safetensors"), {"format": "pt"})
    return config, sum(t.numel() for t in tensors.values())


def write_task(folder, model_dir, config, args):
    adapter = os.path.join(folder, "adapter-in")
    os.makedirs(adapter)
    heads, kv = config["num_attention_heads"], config["num_key_value_heads"]
    out_features = {"q_proj": heads * config["head_dim"], "v_proj": kv * config["head_dim"]}
    tensors = {}
    for layer in range(config["num_hidden_layers"]):
        for module, out in out_features.items():
            path = f"base_model.model.model.layers.{layer}.self_attn.{module}"
            bound = 1 / math.sqrt(config["hidden_size"])
            tensors[f"{path}.lora_A.weight"] = torch.empty(args.rank, config["hidden_size"]).uniform_(-bound, bound)
            tensors[f"{path}.lora_B.weight"] = torch.zeros(out, args.rank)
    safetensors_io.save(tensors, os.path.join(adapter, "adapter_model.safetensors"), {"format": "pt"})
    with open(os.path.join(adapter, "adapter_config.json"), "w", encoding="utf-8") as handle:
        json.dump({"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": args.rank, "lora_alpha": 2 * args.rank,
                   "lora_dropout": 0.0, "target_modules": list(out_features), "bias": "none",
                   "base_model_name_or_path": model_dir, "init_lora_weights": True, "fan_in_fan_out": False}, handle)
    generator = torch.Generator().manual_seed(1)
    count = args.batch_size * args.steps
    with open(os.path.join(folder, "examples.jsonl"), "w", encoding="utf-8") as handle:
        for _ in range(count):
            ids = torch.randint(3, config["vocab_size"], (args.seq_len + 1,), generator=generator).tolist()
            handle.write(json.dumps({"input_ids": ids, "loss_mask": [0] + [1] * args.seq_len}) + "\n")
    task = {
        "protocol": PROTOCOL, "kind": "train", "baseModel": model_dir, "adapter": "adapter-in",
        "adapterOut": "adapter-out", "examples": "examples.jsonl", "rows": [], "result": "result.json",
        "lora": {"r": args.rank, "alpha": 2 * args.rank, "dropout": 0, "targetModules": list(out_features),
                 "mode": "ffa", "useRslora": False},
        "training": {
            "steps": args.steps, "batchSize": args.batch_size, "learningRate": 1e-4, "maxSeqLen": args.seq_len + 1,
            "seed": 1, "proximalMu": 0,
            "optimizer": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weightDecay": 0.01, "clipNorm": 1.0},
            "batches": [list(range(s * args.batch_size, (s + 1) * args.batch_size)) for s in range(args.steps)],
        },
        "dpSgd": None,
    }
    with open(os.path.join(folder, "task.json"), "w", encoding="utf-8") as handle:
        json.dump(task, handle)


def main():
    parser = argparse.ArgumentParser(prog="fedtune_trainer.bench")
    parser.add_argument("--hidden", type=int, default=2048)
    parser.add_argument("--intermediate", type=int, default=0, help="0: about 8/3 of hidden")
    parser.add_argument("--layers", type=int, default=16)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seq-len", type=int, default=512)
    parser.add_argument("--backends", default="auto", help="comma-separated: hf, pytorch, or auto (hf when installed, and pytorch)")
    args = parser.parse_args()
    backends = args.backends.split(",")
    if backends == ["auto"]:
        backends = ["hf", "pytorch"] if has_hf_stack() else ["pytorch"]
    with tempfile.TemporaryDirectory(prefix="fedtune-gpu-bench-") as root:
        model_dir = os.path.join(root, "model")
        os.makedirs(model_dir)
        config, parameters = write_model(model_dir, args)
        for backend in backends:
            task_dir = os.path.join(root, f"task-{backend}")
            os.makedirs(task_dir)
            write_task(task_dir, model_dir, config, args)
            captured = io.StringIO()
            started = time.perf_counter()
            with contextlib.redirect_stdout(captured):
                result = run_task(task_dir, backend)
            seconds = time.perf_counter() - started
            rates = [json.loads(line).get("tokensPerSecond") for line in captured.getvalue().splitlines() if line.startswith("{")]
            rates = [r for r in rates if r is not None]
            loaded = next((json.loads(l) for l in captured.getvalue().splitlines() if '"loaded"' in l), {})
            print(json.dumps({
                "bench": "gpu-trainer", "backend": loaded.get("backend", backend), "device": loaded.get("device"),
                "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
                "torch": torch.__version__, "parameters": parameters, "batchSize": args.batch_size,
                "seqLen": args.seq_len, "steps": result["steps"], "tokens": result["tokens"],
                "seconds": round(seconds, 2), "tokensPerSecond": round(result["tokens"] / seconds, 1),
                "steadyTokensPerSecond": rates[-1] if rates else None, "finalLoss": result["finalLoss"],
            }), flush=True)


if __name__ == "__main__":
    main()
