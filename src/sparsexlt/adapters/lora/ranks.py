"""Which Linear modules LoRA adapts, and the ranks that spend a budget of K trainable entries.

A rank-r LoRA on a Linear with `in` inputs and `out` outputs trains r·(in + out) entries (A is
r×in, B is out×r). To compare LoRA with the sparse methods at equal trainable counts, a budget K
is turned into ranks by `ranks_for_budget`:

1. every target gets r0 = ⌊K / S⌋, where S = Σ (in + out) over the targets;
2. the remainder R = K − r0·S is spent one rank at a time on targets taken largest (in + out)
   first, each only if it still fits in what is left of R;
3. if going one rank over on the smallest target not yet raised lands closer to K than stopping
   short, it is raised too.

So |Σ r·(in + out) − K| ≤ max(in + out) / 2 over the targets: within half of one matrix's
rank-1 cost, and ranks differ by at most one. With K < S some targets keep rank 0 and are not
adapted; at least one always is, so a K below half the smallest (in + out) gets that one matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from sparsexlt.adapters.budget import parameter_count, resolve_budget
from sparsexlt.errors import DeterministicError

__all__ = [
    "LoraTarget",
    "backbone_size",
    "find_targets",
    "lora_count",
    "ranks_for_budget",
    "resolve_budget",
]


@dataclass(frozen=True)
class LoraTarget:
    """One Linear to adapt: its name inside the encoder and its shape."""

    name: str
    in_features: int
    out_features: int

    @property
    def unit(self) -> int:
        """Trainable entries per unit of rank."""
        return self.in_features + self.out_features


def find_targets(backbone: nn.Module, target_modules: list[str] | None) -> list[LoraTarget]:
    """The encoder's `nn.Linear` modules (bitsandbytes 4-bit Linears included), in module order."""
    targets = []
    for name, module in backbone.named_modules():
        if not isinstance(module, nn.Linear) or not _selected(name, target_modules):
            continue
        targets.append(LoraTarget(name, module.in_features, module.out_features))
    if not targets:
        raise DeterministicError(
            f"lora: no Linear module of {type(backbone).__name__} matches "
            f"target_modules={target_modules}"
        )
    return targets


def backbone_size(backbone: nn.Module) -> int:
    """What a proportional K is a proportion of: the encoder's parameter count (logical)."""
    return parameter_count(backbone)


def ranks_for_budget(k: int, targets: list[LoraTarget]) -> list[int]:
    """Ranks per target (same order) whose LoRA count is closest to `k`; see the module doc."""
    units = [t.unit for t in targets]
    base = k // sum(units)
    ranks = [base] * len(targets)
    left = k - base * sum(units)
    order = sorted(range(len(targets)), key=lambda i: (-units[i], i))
    for i in order:
        if units[i] <= left:
            ranks[i] += 1
            left -= units[i]
    unraised = [i for i in order if ranks[i] == base]
    if unraised:
        smallest = unraised[-1]
        if units[smallest] - left < left or not any(ranks):
            ranks[smallest] += 1
    return ranks


def lora_count(targets: list[LoraTarget], ranks: list[int]) -> int:
    return sum(t.unit * r for t, r in zip(targets, ranks, strict=True))


def _selected(name: str, targets: list[str] | None) -> bool:
    if targets is None:
        return True
    last = name.rsplit(".", 1)[-1]
    return any(t in (name, last) or name.endswith("." + t) for t in targets)
