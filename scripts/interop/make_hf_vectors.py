"""Reference vectors from Hugging Face transformers, peft and tokenizers (run on a machine that has them).

Writes tiny random LLaMA-family checkpoints, their logits as computed by transformers, a PEFT LoRA
adapter made by peft with its logits, and tokenizer encodings made by the tokenizers library. When
FEDTUNE_ADAPTER_DIR is set, it also loads that fedtune-written adapter on top of FEDTUNE_BASE_DIR
with peft and records the logits, which proves that fedtune's adapters load in peft unchanged, and
encodes sample texts with FEDTUNE_TOKENIZER_DIR's tokenizer.json (FEDTUNE_ADAPTER_ONLY=1: only that).

usage: python3 make_hf_vectors.py OUT_DIR
"""

import json
import os
import sys

import torch
from safetensors.torch import save_file

OUT = sys.argv[1]
INPUT_IDS = [[1, 5, 9, 3, 7, 2, 11, 4, 30, 17], [1, 42, 8, 8, 19, 60, 2, 33, 5, 0]]


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f)


def logits_of(model, ids):
    with torch.no_grad():
        out = model(torch.tensor(ids)).logits.float()
    return {"input_ids": ids, "shape": list(out.shape), "logits": out.flatten().tolist()}


def make_llama(name, dtype, tie, kv_heads, shard, model_type="llama"):
    from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

    torch.manual_seed(len(name))
    common = dict(
        vocab_size=97,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=kv_heads,
        max_position_embeddings=64,
        rms_norm_eps=1e-5,
        rope_theta=10000.0 if model_type == "llama" else 1000000.0,
        tie_word_embeddings=tie,
        bos_token_id=1,
        eos_token_id=2,
    )
    config = LlamaConfig(**common) if model_type == "llama" else Qwen2Config(**common)
    model = AutoModelForCausalLM.from_config(config).eval()
    # Random init gives tiny weights; widen them so numeric differences would show.
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.2)
    model = model.to(dtype)
    folder = os.path.join(OUT, "models", name)
    model.save_pretrained(folder, max_shard_size="20KB" if shard else "1GB", safe_serialization=True)
    write_json(os.path.join(folder, "expected_logits.json"), logits_of(model.float(), INPUT_IDS))
    return folder, model


def make_peft_adapter(base_folder):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(base_folder, torch_dtype=torch.float32).eval()
    config = LoraConfig(
        r=4,
        lora_alpha=8,
        lora_dropout=0.0,
        target_modules=["q_proj", "v_proj", "o_proj", "gate_proj", "down_proj"],
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(base, config)
    torch.manual_seed(7)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_B" in n:
                p.normal_(0.0, 0.3)
    folder = os.path.join(OUT, "peft-adapter")
    model.save_pretrained(folder)
    write_json(os.path.join(folder, "expected_logits.json"), logits_of(model.eval(), INPUT_IDS))


def make_tokenizers():
    from tokenizers import SentencePieceBPETokenizer, Tokenizer, decoders, models, pre_tokenizers, trainers

    corpus = [
        "Patient presents with fever, cough and shortness of breath.",
        "BP 145/92 mmHg, HR 110 bpm, SpO2 91% on room air.",
        "Hx of T2DM and HTN; started metformin 500 mg BID.",
        "Café au lait spots noted; naïve to treatment. 日本語 テキスト 🙂",
    ] * 20
    samples = [
        "Patient presents with fever and cough.",
        "HR 110 bpm, SpO2 91%",
        "naïve café 🙂 日本",
        "  leading spaces and\ttabs\nnewline",
        "unseenword xyzzy",
    ]
    byte_level = Tokenizer(models.BPE())
    byte_level.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    byte_level.decoder = decoders.ByteLevel()
    byte_level.train_from_iterator(
        corpus,
        trainers.BpeTrainer(vocab_size=400, special_tokens=["<s>", "</s>", "<pad>"],
                            initial_alphabet=pre_tokenizers.ByteLevel.alphabet()),
    )
    sentencepiece = SentencePieceBPETokenizer()
    sentencepiece.train_from_iterator(corpus, vocab_size=300, special_tokens=["<unk>", "<s>", "</s>"])
    for name, tok in (("byte-level", byte_level), ("sentencepiece", sentencepiece)):
        folder = os.path.join(OUT, "tokenizers", name)
        os.makedirs(folder, exist_ok=True)
        tok.save(os.path.join(folder, "tokenizer.json"))
        write_json(os.path.join(folder, "expected.json"),
                   [{"text": s, "ids": tok.encode(s).ids} for s in samples])


def check_fedtune_adapter():
    base_dir = os.environ.get("FEDTUNE_BASE_DIR")
    adapter_dir = os.environ.get("FEDTUNE_ADAPTER_DIR")
    if not base_dir or not adapter_dir:
        return
    from peft import PeftModel
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(base_dir, torch_dtype=torch.float32).eval()
    ids = [[1, 5, 9, 3, 7, 2, 11, 4, 30, 17]]
    result = {"base": logits_of(base, ids)}
    model = PeftModel.from_pretrained(base, adapter_dir).eval()
    result["adapter"] = logits_of(model, ids)
    tok = Tokenizer.from_file(os.path.join(os.environ.get("FEDTUNE_TOKENIZER_DIR", base_dir), "tokenizer.json"))
    texts = ["Pt presents w/ fever, productive cough. SpO2 91% RA.", "Dx: community-acquired pneumonia 🙂"]
    result["tokenizer"] = [{"text": t, "ids": tok.encode(t).ids} for t in texts]
    write_json(os.path.join(OUT, "fedtune-in-peft", "result.json"), result)


if __name__ == "__main__":
    import transformers, peft, tokenizers

    write_json(os.path.join(OUT, "versions.json"), {
        "torch": torch.__version__, "transformers": transformers.__version__,
        "peft": peft.__version__, "tokenizers": tokenizers.__version__})
    if os.environ.get("FEDTUNE_ADAPTER_ONLY"):
        check_fedtune_adapter()
        sys.exit(0)
    folder, _ = make_llama("llama-gqa-untied-f32", torch.float32, tie=False, kv_heads=2, shard=False)
    make_llama("llama-mha-tied-bf16-sharded", torch.bfloat16, tie=True, kv_heads=4, shard=True)
    make_llama("llama-gqa-f16", torch.float16, tie=False, kv_heads=1, shard=False)
    make_llama("qwen2-bias", torch.float32, tie=True, kv_heads=2, shard=False, model_type="qwen2")
    make_peft_adapter(folder)
    make_tokenizers()
    check_fedtune_adapter()
    print("done")
