"""Biaffine dependency parser head (Dozat & Manning 2017) over first-subword word vectors.

Word i is represented by its first subword's hidden state; the root candidate is the first
token (`<s>`/`[CLS]`). Arc and label scores use separate MLPs for the dependent and the head
role. Loss = cross-entropy over each word's candidate heads + cross-entropy over labels at the
gold head. Without gold heads the heads are decoded as the best single-root tree (`mst_heads`)
and labels are scored at the decoded heads.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn
from transformers import PretrainedConfig

from sparsexlt.models.heads.base import Head, masked_cross_entropy
from sparsexlt.models.heads.biaffine import Biaffine
from sparsexlt.models.heads.registry import register_head
from sparsexlt.models.heads.tree_decoding import mst_heads, valid_arcs
from sparsexlt.models.outputs import TaskOutput
from sparsexlt.models.task_types import DEPENDENCY_PARSING

NEG_INF = -1e9


def _mlp(in_dim: int, out_dim: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Linear(in_dim, out_dim), nn.LeakyReLU(0.1), nn.Dropout(dropout))


@register_head(DEPENDENCY_PARSING)
class BiaffineParserHead(Head):
    def __init__(
        self,
        config: PretrainedConfig,
        num_labels: int,
        *,
        arc_dim: int = 512,
        label_dim: int = 128,
        dropout: float = 0.33,
    ):
        super().__init__(config, num_labels)
        h = self.hidden_size
        self.arc_dep, self.arc_head = _mlp(h, arc_dim, dropout), _mlp(h, arc_dim, dropout)
        self.label_dep, self.label_head = _mlp(h, label_dim, dropout), _mlp(h, label_dim, dropout)
        self.arc_scorer = Biaffine(arc_dim, arc_dim, 1, bias_dep=True, bias_head=False)
        self.label_scorer = Biaffine(
            label_dim, label_dim, num_labels, bias_dep=True, bias_head=True
        )

    def reset_parameters(self, generator: torch.Generator) -> None:
        """MLPs as every head; biaffine weights start at zero, as in Dozat & Manning."""
        super().reset_parameters(generator)
        nn.init.zeros_(self.arc_scorer.weight)
        nn.init.zeros_(self.label_scorer.weight)

    def forward(self, hidden: torch.Tensor, batch: Mapping[str, torch.Tensor]) -> TaskOutput:
        word_index, word_mask = batch["word_index"], batch["word_mask"].bool()
        words = hidden.gather(1, word_index[..., None].expand(-1, -1, hidden.shape[-1]))
        candidates = torch.cat([hidden[:, :1], words], 1)  # [B, W+1, H]; 0 = root
        arc = self.arc_scorer.pairwise(self.arc_dep(words), self.arc_head(candidates))[..., 0]
        arc = arc.masked_fill(~valid_arcs(word_mask), NEG_INF)

        gold_heads, gold_labels = batch.get("heads"), batch.get("deprels")
        predicted = mst_heads(arc, word_mask) if gold_heads is None else None
        chosen = predicted if gold_heads is None else gold_heads.clamp(min=0)
        head_vectors = self.label_head(candidates)
        chosen_vectors = head_vectors.gather(
            1, chosen[..., None].expand(-1, -1, head_vectors.shape[-1])
        )
        label_logits = self.label_scorer.paired(self.label_dep(words), chosen_vectors)

        loss = None
        if gold_heads is not None:
            loss = masked_cross_entropy(arc, gold_heads)
            if gold_labels is not None:
                loss = loss + masked_cross_entropy(label_logits, gold_labels)
        return TaskOutput(loss=loss, logits=arc, label_logits=label_logits, heads=predicted)

    def decode(self, output: TaskOutput, batch: Mapping[str, torch.Tensor]) -> dict:
        if output.heads is None:
            raise ValueError("decode needs an output computed without gold heads in the batch")
        return {"heads": output.heads, "deprels": output.label_logits.argmax(-1)}
