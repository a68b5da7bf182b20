"""Sentence and sentence-pair classification (pairs are encoded as one two-segment input).

RoBERTa's classification head: first token (`<s>`/`[CLS]`) → dropout → dense → tanh → dropout
→ output layer. It pools by itself, so the backbone's pretrained pooler is not needed.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn
from transformers import PretrainedConfig

from sparsexlt.models.heads.base import Head, default_dropout, masked_cross_entropy
from sparsexlt.models.heads.registry import register_head
from sparsexlt.models.outputs import TaskOutput
from sparsexlt.models.task_types import PAIR_CLASSIFICATION, SEQUENCE_CLASSIFICATION


@register_head(SEQUENCE_CLASSIFICATION, PAIR_CLASSIFICATION)
class ClassificationHead(Head):
    def __init__(self, config: PretrainedConfig, num_labels: int, *, dropout: float | None = None):
        super().__init__(config, num_labels)
        self.dropout = nn.Dropout(default_dropout(config) if dropout is None else dropout)
        self.dense = nn.Linear(self.hidden_size, self.hidden_size)
        self.out_proj = nn.Linear(self.hidden_size, num_labels)

    def forward(self, hidden: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> TaskOutput:
        x = self.dropout(hidden[:, 0])
        x = self.dropout(torch.tanh(self.dense(x)))
        logits = self.out_proj(x)
        labels = batch.get("labels")
        loss = masked_cross_entropy(logits, labels) if labels is not None else None
        return TaskOutput(loss=loss, logits=logits)

    def decode(self, output: TaskOutput, batch: Mapping[str, torch.Tensor]) -> dict:
        return {"labels": output.logits.argmax(-1)}
