"""The bottleneck adapter of MAD-X (Pfeiffer et al., 2020): x ↦ U(ReLU(D(x))).

D projects the hidden size h down to b = h / reduction_factor, U back up. The residual is added
by the caller (`stack.stacked_output`, `stack.stacked_pre_norm`), because where it comes from
depends on the position in a stack. U starts at zero, so a fresh adapter leaves the model's
function unchanged (like LoRA's B = 0); D starts at N(0, 0.02²).
"""

from __future__ import annotations

import torch
from torch import nn

INIT_STD = 0.02


class Bottleneck(nn.Module):
    """`hidden` → `bottleneck` → `out` features (`out` = `hidden` unless given)."""

    def __init__(self, hidden: int, bottleneck: int, out: int | None = None):
        super().__init__()
        self.down = nn.Linear(hidden, bottleneck)
        self.up = nn.Linear(bottleneck, out or hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.up(torch.relu(self.down(x)))

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator) -> None:
        """D ~ N(0, 0.02²), every bias and U zero (identity at start); drawn on the CPU."""
        weight = torch.randn(self.down.weight.shape, generator=generator) * INIT_STD
        self.down.weight.copy_(weight)
        for tensor in (self.down.bias, self.up.weight, self.up.bias):
            tensor.zero_()
