"""DP-SGD through Opacus (Abadi et al. 2016; Yousefpour et al. 2021): per-example clipping and Gaussian noise.

Lots are Poisson-sampled here at exactly the task's rate q (what the site's ledger was charged), and
Opacus's DPOptimizer clips each example's gradient to C and adds N(0, σ²C²) noise to the sum, divided
by the expected lot size, as fedtune's built-in engine does (client/training/dp-sgd.ts).
"""

import secrets

import torch


def require_opacus():
    from .run import TaskRefused

    try:
        import opacus  # noqa: F401
    except ImportError as missing:
        raise TaskRefused(
            "the task asks for DP-SGD (record-level DP) but Opacus is not installed; "
            "install it (pip install opacus) or run this site without record-level DP"
        ) from missing


def make_private(task, backend, optimizer, examples):
    from opacus import GradSampleModule
    from opacus.optimizers import DPOptimizer

    dp = task["dpSgd"]
    q = dp["samplingRate"]
    expected = task["training"]["batchSize"] if q < 1 else len(examples)
    model = GradSampleModule(backend.model)
    private = DPOptimizer(
        optimizer,
        noise_multiplier=dp["noiseMultiplier"],
        max_grad_norm=dp["clipNorm"],
        expected_batch_size=expected,
    )
    # The lot membership is secret-dependent sampling: drawn from the OS CSPRNG, not the task seed.
    generator = torch.Generator().manual_seed(secrets.randbits(63))

    def lots():
        for _ in range(dp["steps"]):
            chosen = torch.rand(len(examples), generator=generator) < q
            yield [examples[i] for i in chosen.nonzero().flatten().tolist()]

    return lots(), private, model
