"""Runs one fedtune-trainer/1 task: reads task.json, trains or evaluates, writes the adapter and result.json."""

import json
import math
import os
import sys
import time

import torch
from torch.nn import functional as F

from .backends import load_backend

PROTOCOL = "fedtune-trainer/1"


class TaskRefused(Exception):
    """The task asks for something this trainer cannot do (e.g. DP-SGD without Opacus)."""


def progress(**fields):
    # One JSON object per line on stdout: fedtune copies each into the site's log.
    print(json.dumps(fields), flush=True)


def read_examples(path):
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def pad_batch(examples, pad_id, device):
    """Right-padded inputs ids[:-1], targets ids[1:] and the loss mask of the targets."""
    length = max(1, max(len(e["input_ids"]) - 1 for e in examples))
    inputs = torch.full((len(examples), length), pad_id, dtype=torch.long)
    targets = torch.full((len(examples), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(examples), length), dtype=torch.float32)
    tokens = 0
    for row, example in enumerate(examples):
        ids, loss_mask = example["input_ids"], example["loss_mask"]
        n = len(ids) - 1
        if n <= 0:
            continue
        inputs[row, :n] = torch.tensor(ids[:-1])
        targets[row, :n] = torch.tensor(ids[1:])
        mask[row, :n] = torch.tensor(loss_mask[1:], dtype=torch.float32)
        tokens += n
    return inputs.to(device), targets.to(device), mask.to(device), tokens


def nll(model, inputs, targets, mask):
    """Σ −log p(target) over masked positions, and the count of those positions."""
    logits = model(inputs).float()
    losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none")
    return (losses * mask.reshape(-1)).sum(), mask.sum()


def pad_id_of(task):
    with open(os.path.join(task["baseModel"], "config.json"), encoding="utf-8") as handle:
        config = json.load(handle)
    pad = config.get("pad_token_id")
    return 0 if pad is None else int(pad)


def train(task, backend, examples, pad_id):
    settings = task["training"]
    optimizer_settings = settings["optimizer"]
    params = [p for _, p in backend.trainable]
    optimizer = torch.optim.AdamW(
        params,
        lr=settings["learningRate"],
        betas=(optimizer_settings["beta1"], optimizer_settings["beta2"]),
        eps=optimizer_settings["epsilon"],
        weight_decay=optimizer_settings["weightDecay"],
    )
    anchor = [p.detach().clone() for p in params]
    mu = settings["proximalMu"]
    dp = task["dpSgd"]
    if dp is not None:
        from .dp_sgd import make_private

        step_batches, optimizer, model = make_private(task, backend, optimizer, examples)
    else:
        step_batches = ([examples[i] for i in indices] for indices in settings["batches"])
        model = backend.model
    model.train()
    losses = []
    tokens = 0
    started = time.perf_counter()
    for step, batch in enumerate(step_batches):
        if not batch:  # an empty Poisson lot: nothing is released (less than the ledger charged)
            losses.append(float("nan"))
            continue
        inputs, targets, mask, batch_tokens = pad_batch(batch, pad_id, backend.device)
        total, scored = nll(model, inputs, targets, mask)
        loss = total / torch.clamp(scored, min=1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if dp is None:
            if mu > 0:
                for p, a in zip(params, anchor):
                    p.grad.add_(p.detach() - a, alpha=mu)
            if optimizer_settings["clipNorm"] is not None:
                torch.nn.utils.clip_grad_norm_(params, optimizer_settings["clipNorm"])
        optimizer.step()
        tokens += batch_tokens
        losses.append(loss.item())
        elapsed = time.perf_counter() - started
        progress(step=step + 1, steps=settings["steps"], loss=round(losses[-1], 6), tokens=tokens,
                 tokensPerSecond=round(tokens / elapsed, 1) if elapsed > 0 else 0)
    finite = [x for x in losses if math.isfinite(x)]
    return {
        "protocol": PROTOCOL,
        "kind": "train",
        "examples": len(examples),
        "steps": len(losses),
        "tokens": tokens,
        "finalLoss": finite[-1] if finite else 0.0,
        "meanLoss": sum(finite) / len(finite) if finite else 0.0,
        "dpSgd": None if dp is None else {
            "samplingRate": dp["samplingRate"], "noiseMultiplier": dp["noiseMultiplier"], "steps": len(losses),
        },
    }


@torch.no_grad()
def evaluate(task, backend, examples, pad_id, batch_size=8):
    model = backend.model
    model.eval()
    nll_sum, scored_tokens = 0.0, 0
    for start in range(0, len(examples), batch_size):
        inputs, targets, mask, _ = pad_batch(examples[start : start + batch_size], pad_id, backend.device)
        total, scored = nll(model, inputs, targets, mask)
        nll_sum += total.item()
        scored_tokens += int(scored.item())
    correct = 0
    for question in task["choices"]:
        # Σ log p over each option's tokens after the context (lm-evaluation-harness `acc`).
        scores = []
        for option in question["options"]:
            ids = question["context"] + option
            example = {"input_ids": ids, "loss_mask": [0] * len(question["context"]) + [1] * len(option)}
            inputs, targets, mask, _ = pad_batch([example], pad_id, backend.device)
            total, _ = nll(model, inputs, targets, mask)
            scores.append(-total.item())
        correct += int(max(range(len(scores)), key=scores.__getitem__) == question["answer"])
    return {
        "protocol": PROTOCOL,
        "kind": "evaluate",
        "examples": len(examples),
        "scoredTokens": scored_tokens,
        "nllSum": nll_sum,
        "questions": len(task["choices"]),
        "correct": correct,
    }


def run_task(task_dir, preferred="auto"):
    with open(os.path.join(task_dir, "task.json"), encoding="utf-8") as handle:
        task = json.load(handle)
    if task.get("protocol") != PROTOCOL:
        raise TaskRefused(f"this trainer speaks {PROTOCOL}, the task is {task.get('protocol')!r}")
    if task["kind"] == "train" and task["dpSgd"] is not None:
        from .dp_sgd import require_opacus

        require_opacus()
    seed = task["training"]["seed"] if task["kind"] == "train" else 0
    torch.manual_seed(seed)
    backend = load_backend(task, os.path.join(task_dir, task["adapter"]), preferred)
    progress(event="loaded", backend=backend.name, device=str(backend.device),
             trainable=sum(p.numel() for _, p in backend.trainable))
    examples = read_examples(os.path.join(task_dir, task["examples"]))
    pad_id = pad_id_of(task)
    if task["kind"] == "train":
        result = train(task, backend, examples, pad_id)
        backend.save(os.path.join(task_dir, task["adapterOut"]))
    else:
        result = evaluate(task, backend, examples, pad_id)
    with open(os.path.join(task_dir, task["result"]), "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return result


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(prog="fedtune_trainer", description="fedtune's reference external trainer")
    parser.add_argument("task_dir", help="the task folder fedtune prepared (holds task.json)")
    parser.add_argument("--backend", choices=("auto", "hf", "pytorch"), default="auto",
                        help="auto: transformers + peft when installed, else the built-in PyTorch model")
    args = parser.parse_args(argv)
    try:
        run_task(args.task_dir, args.backend)
    except TaskRefused as refusal:
        print(f"fedtune_trainer: refused: {refusal}", file=sys.stderr)
        return 3
    return 0
