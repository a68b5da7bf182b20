"""What a task head is, and seeded initialisation shared by all heads.

A head maps the backbone's last hidden states (plus the batch, for labels and word positions) to
a `TaskOutput`. Heads are always float32 and initialise from a `torch.Generator` drawn on the
CPU, so `reset_parameters` gives the same values for the same seed on any device (LT-SFT
re-initialises the head between its phases).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import torch
from torch import nn
from transformers import PretrainedConfig, PreTrainedModel

from sparsexlt.models.outputs import TaskOutput

INIT_STD = 0.02
IGNORE_INDEX = -100


class Head(nn.Module):
    """Base of every head; subclasses register with `@register_head(task_type, ...)`."""

    task_types: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: PretrainedConfig, num_labels: int):
        super().__init__()
        self.hidden_size = int(config.hidden_size)
        self.num_labels = int(num_labels)

    @classmethod
    def create(cls, backbone: PreTrainedModel, num_labels: int, **kwargs: Any) -> Head:
        """Build the head for `backbone` (the masked-LM head also reads the checkpoint)."""
        return cls(backbone.config, num_labels, **kwargs)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """Linear: N(0, 0.02) weights and zero biases; LayerNorm: ones and zeros."""
        init_module(self, generator)

    def forward(self, hidden: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> TaskOutput:
        raise NotImplementedError

    def decode(self, output: TaskOutput, batch: Mapping[str, torch.Tensor]) -> dict:
        """Predicted label ids (tensors) from an output computed without gold labels."""
        raise NotImplementedError


def fill_normal_(param: torch.Tensor, generator: torch.Generator, std: float = INIT_STD) -> None:
    values = torch.empty(param.shape, dtype=torch.float32).normal_(0.0, std, generator=generator)
    with torch.no_grad():
        param.copy_(values)


def init_module(module: nn.Module, generator: torch.Generator) -> None:
    """Seeded init of every Linear and LayerNorm inside `module` (in `modules()` order)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            fill_normal_(m.weight, generator)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over targets != -100; 0 (keeping the graph) when there are none."""
    flat_targets = targets.reshape(-1)
    if not bool((flat_targets != IGNORE_INDEX).any()):
        return logits.sum() * 0.0
    return nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), flat_targets, ignore_index=IGNORE_INDEX
    )


def default_dropout(config: PretrainedConfig) -> float:
    for name in ("classifier_dropout", "hidden_dropout_prob", "dropout"):
        value = getattr(config, name, None)
        if value is not None:
            return float(value)
    return 0.1
