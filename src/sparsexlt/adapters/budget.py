"""A sparse budget K given as a proportion: what it is a proportion of, and the count it gives.

Shared by LoRA (`lora.ranks`) and SpIEL (`spiel.targets`). Kept free of peft (importing
`adapters.lora` loads it) so the sparse methods do not pay for it.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def logical_numel(p: torch.Tensor) -> int:
    """Entries of `p` as the model sees them: a 4-bit weight counts its `quant_state.shape`,
    not its packed storage."""
    shape = getattr(getattr(p, "quant_state", None), "shape", None)
    return math.prod(shape) if shape is not None else p.numel()


def parameter_count(module: nn.Module) -> int:
    """Logical entries of `module`'s distinct parameters (a tied weight counts once)."""
    seen, total = set(), 0
    for p in module.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            total += logical_numel(p)
    return total


def resolve_budget(k: int | float, module: nn.Module) -> int:
    """An int `k` as is; a float: that proportion of `parameter_count(module)`, at least 1."""
    return k if isinstance(k, int) else max(1, round(k * parameter_count(module)))
