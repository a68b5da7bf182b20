"""The loss of one global micro-batch whose examples are split over processes.

In one process the loss is the mean over the N labelled units of the batch (tokens with a label
for token tasks and masked-LM, examples for sequence classification). Under R processes rank r
holds n_r of those units (its slice, see `sparsexlt.data.sampler`) and its model returns L_r, the
mean over its own. Averaging the R gradients of L_r would give a unit on a rank with few units
more weight than one on a rank with many (uneven token counts, or an uneven last batch). So each
rank back-propagates L_r · R · n_r / N; the loop's gradient all-reduce divides by R, leaving
Σ_r n_r ∇L_r / N — the gradient of the single-process mean. N, and the loss the history records
(Σ_r n_r L_r / N, the single-process value), come from one all-reduce of two float64 numbers per
micro-batch (kind LOSS). A rank whose slice is empty takes part with n_r = 0 (the loop runs it
on a stand-in example, so its backward, multiplied by 0, adds nothing).

Units are counted as the entries != -100 of `labels` (or of `heads`, for dependency parsing),
else one per example. A model whose loss is not a mean over those units (a sum, or a mean of
per-example means) is weighted exactly only when every rank holds the same count. Parsing adds
an arc and a label loss over the same words, so the weighting is exact there too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from sparsexlt.training.distributed import LOSS, all_reduce_, comm_device, world_size

IGNORE_INDEX = -100
LABEL_KEYS = ("labels", "heads")


def loss_units(batch: Mapping[str, Any] | None) -> int:
    """How many units the batch's mean loss averages over (see the module doc)."""
    if not batch:
        return 0
    for key in LABEL_KEYS:
        labels = batch.get(key)
        if isinstance(labels, torch.Tensor):
            return int((labels != IGNORE_INDEX).sum())
    first = next((v for v in batch.values() if isinstance(v, torch.Tensor)), None)
    return 0 if first is None or first.dim() == 0 else int(first.shape[0])


def share_of_global_mean(units: int, loss: torch.Tensor) -> tuple[float, torch.Tensor]:
    """(factor to multiply this rank's loss by before backward, the global batch's mean loss).

    Collective: every rank calls it once per micro-batch (`units` 0 for an empty slice).
    """
    local_sum = float(loss.detach()) * units if units else 0.0
    stats = torch.tensor([float(units), local_sum], dtype=torch.float64, device=comm_device())
    all_reduce_([stats], LOSS)
    total, loss_sum = (float(x) for x in stats.tolist())
    if total <= 0:
        return 0.0, torch.tensor(0.0)
    return world_size() * units / total, torch.tensor(loss_sum / total)
