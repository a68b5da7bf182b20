"""What SpIEL's two optimizers (`SparseAdamW`, `SparseSM3`) share: their parameter groups and
torch's closure convention."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn


def sparse_and_dense_groups(
    phis: list[nn.Parameter], dense: list[nn.Parameter]
) -> list[dict[str, Any]]:
    """Group 0: the sparse φ tensors (`sparse` True); group 1: dense parameters (the head).
    An empty group is left out (torch refuses empty groups)."""
    groups = [{"params": phis, "sparse": True}, {"params": dense, "sparse": False}]
    return [g for g in groups if g["params"]]


def closure_loss(closure: Callable[[], Any] | None) -> Any:
    """The loss `closure` returns, computed with gradients on (None without a closure)."""
    if closure is None:
        return None
    with torch.enable_grad():
        return closure()
