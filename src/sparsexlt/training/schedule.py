"""Learning-rate schedule: linear warm-up, then linear decay.

For the optimizer step with 0-based index i of a phase with T steps and W = ceil(ratio * T)
warm-up steps the learning rate is lr * f(i) with

    f(i) = (i + 1) / W            for i < W      (reaches 1 on the last warm-up step)
    f(i) = (T - i) / (T - W)      for i >= W     (1 right after warm-up, 1 / (T - W) last)

so no step is taken with a learning rate of exactly zero (a common off-by-one that wastes the
first and the last step).
"""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LambdaLR


def warmup_steps(total: int, warmup_ratio: float) -> int:
    return math.ceil(warmup_ratio * total)


def lr_factor(step: int, total: int, warmup: int) -> float:
    """f(step) above; `step` is the 0-based index of the optimizer step."""
    if step < warmup:
        return (step + 1) / warmup
    if total <= warmup:
        return 1.0
    return max(0.0, (total - step) / (total - warmup))


def build_schedule(optimizer: torch.optim.Optimizer, total: int, warmup_ratio: float) -> LambdaLR:
    """A scheduler stepped once after every optimizer step; its state is JSON-friendly."""
    warmup = warmup_steps(total, warmup_ratio)
    return LambdaLR(optimizer, lambda step: lr_factor(step, total, warmup))
