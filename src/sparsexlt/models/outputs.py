"""What every task model's forward returns."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class TaskOutput:
    """`loss` is set when the batch carries labels.

    `logits` by task: classification [B, C]; token classification [B, T, C]; masked LM
    [N, V] over the N labelled positions when labels are given, else [B, T, V]; dependency
    parsing: arc scores [B, W, W+1] (dependent word i, candidate head j, j = 0 is the root).
    Parsing only: `label_logits` [B, W, L] at the heads in `heads` (gold heads when the batch
    has them, then `heads` is None; else the decoded heads [B, W]).
    """

    loss: torch.Tensor | None
    logits: torch.Tensor
    label_logits: torch.Tensor | None = None
    heads: torch.Tensor | None = None
