"""The invertible adapter of a MAD-X language adapter: a NICE additive coupling (Dinh et al., 2015).

It sits on the embedding output e (hidden size h, split into e1 = e[:h1], e2 = e[h1:]):

    o1 = e1 + F(e2)          o2 = e2 + G(o1)          o = [o1, o2]

and is inverted exactly (up to float rounding) by e2 = o2 − G(o1), e1 = o1 − F(e2). F and G are
bottlenecks (down, ReLU, up). During language-model training of a language adapter the inverse
runs on the last hidden state just before the LM output layer, so the embeddings' adapted space is
mapped back to the space the (frozen) output layer reads. For a task, only the forward runs.
"""

from __future__ import annotations

import torch
from torch import nn

from sparsexlt.adapters.madx.bottleneck import Bottleneck


class InvertibleAdapter(nn.Module):
    def __init__(self, hidden: int, bottleneck: int):
        super().__init__()
        self.h1 = hidden // 2
        h2 = hidden - self.h1
        self.F = Bottleneck(h2, bottleneck, self.h1)
        self.G = Bottleneck(self.h1, bottleneck, h2)

    def forward(self, e: torch.Tensor) -> torch.Tensor:
        e1, e2 = e[..., : self.h1], e[..., self.h1 :]
        o1 = e1 + self.F(e2)
        o2 = e2 + self.G(o1)
        return torch.cat([o1, o2], dim=-1)

    def inverse(self, o: torch.Tensor) -> torch.Tensor:
        o1, o2 = o[..., : self.h1], o[..., self.h1 :]
        e2 = o2 - self.G(o1)
        e1 = o1 - self.F(e2)
        return torch.cat([e1, e2], dim=-1)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """F and G start at zero output: the adapter starts as the identity."""
        self.F.reset_parameters(generator)
        self.G.reset_parameters(generator)
