"""The two model back-ends: transformers + peft when installed (GPU when present), else the compact llama.py.

Each returns a Backend: a module mapping input ids [B, T] to logits [B, T, V], its trainable LoRA
parameters, and a way to write the adapter back in PEFT's layout.
"""

import json
import os
import re

import torch

from . import safetensors_io

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
_LORA_KEY = re.compile(r"^(.*)\.lora_([AB])(?:\.default)?\.weight$")


class Backend:
    def __init__(self, name, model, device, trainable, save):
        self.name = name
        self.model = model
        self.device = device
        self.trainable = trainable  # [(PEFT key, parameter)]
        self.save = save  # save(folder) writes the adapter folder


def has_hf_stack():
    try:
        import peft  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


def pick_device():
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def read_adapter(folder):
    """PEFT tensors keyed without the adapter name ('…lora_A.weight')."""
    tensors = safetensors_io.load(os.path.join(folder, ADAPTER_WEIGHTS))
    out = {}
    for key, tensor in tensors.items():
        match = _LORA_KEY.match(key)
        if match is None:
            raise ValueError(f"{folder}: {key} is not a LoRA key")
        out[f"{match.group(1)}.lora_{match.group(2)}.weight"] = tensor.float()
    return out


def _copy_config(adapter_in, adapter_out):
    os.makedirs(adapter_out, exist_ok=True)
    with open(os.path.join(adapter_in, ADAPTER_CONFIG), encoding="utf-8") as handle:
        config = json.load(handle)
    with open(os.path.join(adapter_out, ADAPTER_CONFIG), "w", encoding="utf-8") as handle:
        json.dump(config, handle, indent=2)


def lora_scaling(lora):
    # PEFT: lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora (Kalajdzievski 2023).
    return lora["alpha"] / (lora["r"] ** 0.5 if lora["useRslora"] else lora["r"])


def pure_backend(task, adapter_in):
    from .llama import LlamaLm

    lora = task["lora"]
    model = LlamaLm.from_folder(task["baseModel"])
    initial = read_adapter(adapter_in)
    trainable = []
    targets = set(lora["targetModules"])
    for path, module in model.lora_modules():
        if path.rsplit(".", 1)[1] not in targets:
            continue
        module.add_lora(lora["r"], lora_scaling(lora), lora["dropout"])
        for matrix, layer in (("A", module.lora_A), ("B", module.lora_B)):
            key = f"{path}.lora_{matrix}.weight"
            if key not in initial:
                raise ValueError(f"global adapter is missing {key}")
            if tuple(initial[key].shape) != tuple(layer.weight.shape):
                raise ValueError(f"{key} has shape {list(initial[key].shape)}, expected {list(layer.weight.shape)}")
            layer.weight.data.copy_(initial[key])
            train_it = matrix == "B" or lora["mode"] == "standard"
            layer.weight.requires_grad_(train_it)
            if train_it:
                trainable.append((key, layer.weight))
    device = pick_device()
    model.to(device)

    def save(folder):
        _copy_config(adapter_in, folder)
        tensors = {}
        for path, module in model.lora_modules():
            if module.lora_A is not None:
                tensors[f"{path}.lora_A.weight"] = module.lora_A.weight
                tensors[f"{path}.lora_B.weight"] = module.lora_B.weight
        safetensors_io.save(tensors, os.path.join(folder, ADAPTER_WEIGHTS), {"format": "pt"})

    return Backend("pytorch", model, device, trainable, save)


def hf_backend(task, adapter_in):
    """transformers + peft: the hospital's usual stack (bf16 base weights on a GPU, LoRA in float32)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    device = pick_device()
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    base = AutoModelForCausalLM.from_pretrained(task["baseModel"], torch_dtype=dtype).to(device)
    peft_model = PeftModel.from_pretrained(base, adapter_in, is_trainable=True)
    trainable = []
    for name, parameter in peft_model.named_parameters():
        match = _LORA_KEY.match(name)
        if match is None:
            continue
        parameter.data = parameter.data.float()
        if match.group(2) == "A" and task["lora"]["mode"] == "ffa":
            parameter.requires_grad_(False)
        if parameter.requires_grad:
            trainable.append((f"{match.group(1)}.lora_{match.group(2)}.weight", parameter))

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids):
            return self.inner(input_ids=input_ids).logits

    def save(folder):
        _copy_config(adapter_in, folder)
        tensors = {}
        for name, parameter in peft_model.named_parameters():
            match = _LORA_KEY.match(name)
            if match is not None:
                tensors[f"{match.group(1)}.lora_{match.group(2)}.weight"] = parameter
        safetensors_io.save(tensors, os.path.join(folder, ADAPTER_WEIGHTS), {"format": "pt"})

    return Backend("transformers+peft", Logits(peft_model), device, trainable, save)


def load_backend(task, adapter_in, preferred):
    """preferred: 'auto' (transformers + peft when installed), 'hf' or 'pytorch'."""
    if preferred == "hf" or (preferred == "auto" and has_hf_stack()):
        return hf_backend(task, adapter_in)
    return pure_backend(task, adapter_in)
