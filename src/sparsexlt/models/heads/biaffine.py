"""Biaffine scoring (Dozat & Manning 2017) and a single-root head decoder.

`Biaffine(x, y)` scores `[x; 1]ᵀ W_o [y; 1]` for each output o; the appended 1s (optional per
side) give the linear and bias terms. The arc scorer uses a bias on the dependent side only, so
a head's own prior `yᵀ w` is part of every score.
"""

from __future__ import annotations

import torch
from torch import nn


class Biaffine(nn.Module):
    def __init__(
        self, dep_dim: int, head_dim: int, out_dim: int, *, bias_dep: bool, bias_head: bool
    ):
        super().__init__()
        self.bias_dep = bias_dep
        self.bias_head = bias_head
        self.weight = nn.Parameter(torch.zeros(out_dim, dep_dim + bias_dep, head_dim + bias_head))

    def _extend(self, x: torch.Tensor, bias: bool) -> torch.Tensor:
        return torch.cat([x, x.new_ones(*x.shape[:-1], 1)], -1) if bias else x

    def pairwise(self, dep: torch.Tensor, head: torch.Tensor) -> torch.Tensor:
        """dep [B, N, D], head [B, M, E] → scores [B, N, M, out]."""
        x, y = self._extend(dep, self.bias_dep), self._extend(head, self.bias_head)
        return torch.einsum("bni,oij,bmj->bnmo", x, self.weight, y)

    def paired(self, dep: torch.Tensor, head: torch.Tensor) -> torch.Tensor:
        """dep [B, N, D], head [B, N, E] (aligned pairs) → scores [B, N, out]."""
        x, y = self._extend(dep, self.bias_dep), self._extend(head, self.bias_head)
        return torch.einsum("bni,oij,bnj->bno", x, self.weight, y)


def single_root_heads(arc_scores: torch.Tensor, word_mask: torch.Tensor) -> torch.Tensor:
    """Argmax heads with exactly one root per sentence (0 for padding).

    The root is the word that prefers the root most over its best other head; every other word
    takes its best non-root head. Cycles are possible (this is not an MST decoder); with one
    root predicted by plain argmax the result equals plain argmax. The parser decodes with
    `tree_decoding.mst_heads` instead; this greedy decoder is kept as a cheap baseline.
    """
    scores = arc_scores.masked_fill(~word_mask[..., None], 0.0)
    best_other = scores[..., 1:].max(-1)
    heads = best_other.indices + 1
    root_preference = (scores[..., 0] - best_other.values).masked_fill(~word_mask, float("-inf"))
    root = root_preference.argmax(-1)
    heads[torch.arange(heads.shape[0], device=heads.device), root] = 0
    return heads.masked_fill(~word_mask, 0)
