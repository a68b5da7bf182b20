"""Register `madx` (the implementation: `adapters.madx`): MAD-X bottleneck adapters, the baseline."""

from __future__ import annotations

from sparsexlt.adapters.madx.component import load_madx
from sparsexlt.adapters.madx.method import MadxMethod
from sparsexlt.adapters.registry import register_method


@register_method("madx", loader=load_madx)
class Madx(MadxMethod):
    """A MAD-X language adapter (masked-LM model) or task adapter (any other TaskModel)."""
