"""A pretrained encoder plus a task head: the model every fine-tuning method trains.

Parameter names are `backbone.<AutoModel name>` and `head.<...>`, which is what SFT files and
the fine-tuning methods key on. `forward(**batch)` takes the collated batch as it comes from
`sparsexlt.models.encoding.collate` (extra keys are ignored by the backbone).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import PreTrainedModel

from sparsexlt.models.heads import Head, get_head
from sparsexlt.models.outputs import TaskOutput
from sparsexlt.models.task_types import MASKED_LM

BACKBONE_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
LABEL_KEYS = ("labels", "heads", "deprels")


class TaskModel(nn.Module):
    def __init__(self, backbone: PreTrainedModel, head: Head, task_type: str):
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.task_type = task_type

    @property
    def num_labels(self) -> int:
        return self.head.num_labels

    @property
    def device(self) -> torch.device:
        return next(self.head.parameters()).device

    def forward(self, **batch: torch.Tensor) -> TaskOutput:
        inputs = {k: batch[k] for k in BACKBONE_INPUTS if batch.get(k) is not None}
        hidden = self.backbone(**inputs).last_hidden_state
        head_dtype = next(self.head.parameters()).dtype
        return self.head(hidden.to(head_dtype), batch)

    @torch.no_grad()
    def predict_batch(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Predicted label ids for one collated batch (gold labels, if any, are ignored)."""
        unlabelled = {k: v for k, v in batch.items() if k not in LABEL_KEYS}
        return self.head.decode(self(**unlabelled), unlabelled)

    def reset_head(self, seed: int) -> None:
        """Re-initialise the head deterministically (same seed → same values on any device)."""
        self.head.reset_parameters(torch.Generator().manual_seed(seed))


class MaskedLMModel(TaskModel):
    """Backbone + masked-LM head (untied, frozen decoder) for language SFTs."""

    def __init__(self, backbone: PreTrainedModel, head: Head | None = None, *, seed: int = 0):
        super().__init__(backbone, head or get_head(MASKED_LM).create(backbone), MASKED_LM)
        self.head.to(_device_of(backbone))
        self.reset_head(seed)


def _device_of(backbone: nn.Module) -> torch.device:
    return next(backbone.parameters()).device


def build_task_model(
    backbone: PreTrainedModel,
    task_type: str,
    num_labels: int | None = None,
    *,
    seed: int = 0,
    **head_kwargs: Any,
) -> TaskModel:
    """The head registered for `task_type` on top of `backbone`, initialised under `seed`.

    `num_labels` is required except for `masked-lm` (the vocabulary size then).
    """
    head_cls = get_head(task_type)
    if task_type == MASKED_LM:
        return MaskedLMModel(backbone, head_cls.create(backbone, num_labels), seed=seed)
    if not num_labels or num_labels < 1:
        raise ValueError(f"num_labels: expected a positive label count for '{task_type}'")
    head = head_cls.create(backbone, num_labels, **head_kwargs)
    head.to(_device_of(backbone))
    model = TaskModel(backbone, head, task_type)
    model.reset_head(seed)
    return model
