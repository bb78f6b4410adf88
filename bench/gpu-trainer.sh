#!/usr/bin/env bash
# Tokens/s of the reference Python trainer on a CUDA machine (JSON lines): a random ~0.9B LLaMA-shaped model
# (hidden 2048, 16 layers, vocabulary 32000), LoRA r=16 on q_proj/v_proj, 20 steps of 8 × 512 tokens, with
# transformers + peft when installed (and the pure-PyTorch model beside it), else the pure-PyTorch model alone.
# Needs only python3 with torch (CUDA build); nothing is downloaded. Usage: bash bench/gpu-trainer.sh [bench args]
set -euo pipefail
cd "$(dirname "$0")/../client/python-trainer"
PYTHON="${FEDTUNE_PYTHON:-python3}"
"$PYTHON" - <<'PY'
import json, torch
print(json.dumps({"bench": "gpu-trainer", "torch": torch.__version__, "cuda": torch.cuda.is_available(),
                  "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}))
PY
exec "$PYTHON" -m fedtune_trainer.bench --hidden 2048 --layers 16 --vocab 32000 --rank 16 \
  --steps 20 --batch-size 8 --seq-len 512 "$@"
