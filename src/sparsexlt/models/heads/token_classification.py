"""Token classification (NER, POS) with first-subword labelling.

Encoding puts each word's label on its first subword and -100 on the rest and on special
tokens, so the loss and the prediction of a word both come from its first subword.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn
from transformers import PretrainedConfig

from sparsexlt.models.heads.base import Head, default_dropout, masked_cross_entropy
from sparsexlt.models.heads.registry import register_head
from sparsexlt.models.outputs import TaskOutput
from sparsexlt.models.task_types import TOKEN_CLASSIFICATION


@register_head(TOKEN_CLASSIFICATION)
class TokenClassificationHead(Head):
    def __init__(self, config: PretrainedConfig, num_labels: int, *, dropout: float | None = None):
        super().__init__(config, num_labels)
        self.dropout = nn.Dropout(default_dropout(config) if dropout is None else dropout)
        self.classifier = nn.Linear(self.hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> TaskOutput:
        logits = self.classifier(self.dropout(hidden))
        labels = batch.get("labels")
        loss = masked_cross_entropy(logits, labels) if labels is not None else None
        return TaskOutput(loss=loss, logits=logits)

    def decode(self, output: TaskOutput, batch: Mapping[str, torch.Tensor]) -> dict:
        """Per-word label ids [B, W], read at each word's first subword (`word_index`)."""
        token_labels = output.logits.argmax(-1)
        return {"labels": token_labels.gather(1, batch["word_index"])}
