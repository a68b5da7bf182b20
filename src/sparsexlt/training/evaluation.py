"""Calling the caller's `eval_fn` without disturbing training, and tracking the best result."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from sparsexlt.errors import ConfigError
from sparsexlt.training import rng

EvalFn = Callable[[nn.Module], dict[str, float]]


def evaluate(model: nn.Module, eval_fn: EvalFn) -> dict[str, Any]:
    """`eval_fn(model)` in eval mode under no_grad; RNG states are restored afterwards, so an
    evaluation (or a changed `eval_every`) never changes what training draws next."""
    saved = rng.capture()
    model.eval()
    try:
        with torch.no_grad():
            return dict(eval_fn(model))
    finally:
        model.train()
        rng.restore(saved)


def is_better(
    metrics: dict[str, Any], best: dict[str, Any] | None, name: str, greater_is_better: bool
) -> bool:
    """Whether `metrics[name]` beats the best so far (`best` = {"step", "metrics"} or None)."""
    if name not in metrics:
        raise ConfigError(
            "TrainConfig",
            [f"best_metric: {name!r} is not among the eval metrics {sorted(metrics)}"],
        )
    value = float(metrics[name])
    if math.isnan(value):  # a diverged eval is never the best (NaN compares false both ways)
        return False
    if best is None or math.isnan(float(best["metrics"][name])):
        return True
    old = float(best["metrics"][name])
    return value > old if greater_is_better else value < old


def describe(step: int, metrics: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v:.4g}" for k, v in metrics.items() if isinstance(v, (int, float)))
    return f"step {step} eval: {shown}"
