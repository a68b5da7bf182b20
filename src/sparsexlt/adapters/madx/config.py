"""MAD-X hyperparameters: one dataclass, every field documented and validated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sparsexlt.adapters.adapter_settings import AdapterSettings, positive_int


@dataclass
class MadxSettings(AdapterSettings):
    """How `madx` trains (Pfeiffer et al., 2020, "MAD-X").

    reduction_factor: bottleneck size = hidden size // reduction_factor (16 in MAD-X, for
        language and task adapters alike).
    bottleneck: an explicit bottleneck size instead (e.g. to match another method's trainable
        count); None = from `reduction_factor`.
    invertible_reduction_factor: the invertible adapter's F and G bottleneck = (hidden // 2) //
        this (2 in MAD-X). Language adapters only.
    leave_out: layer indices (0-based) without a bottleneck adapter (MAD-X 2.0 leaves out the
        last layer's language adapter); [] = every layer.
    language_sft: train a language adapter (masked or causal LM: bottlenecks + invertible
        adapter, the head stays frozen) instead of a task adapter (bottlenecks + the head).
        None = decide from the model (a masked-LM model → language).
    seed: initialisation of the adapters (D ~ N(0, 0.02²), U = 0: the model starts as the base).
    task, language, base_model: recorded in the exported manifest.
    """

    SECTION: ClassVar[str] = "madx hyperparameters"

    reduction_factor: int = 16
    bottleneck: int | None = None
    invertible_reduction_factor: int = 2
    leave_out: list[int] | None = None

    def problems(self) -> list[str]:
        problems = []
        for name in ("reduction_factor", "invertible_reduction_factor"):
            value = getattr(self, name)
            if not positive_int(value):
                problems.append(f"{name}: a positive int, got {value!r}")
        if self.bottleneck is not None and not positive_int(self.bottleneck):
            problems.append(f"bottleneck: a positive int or null, got {self.bottleneck!r}")
        leave_out = self.leave_out or []
        if any(isinstance(i, bool) or not isinstance(i, int) for i in leave_out):
            problems.append(f"leave_out: a list of layer indices, got {self.leave_out!r}")
        return problems

    def bottleneck_size(self, hidden: int) -> int:
        return self.bottleneck or max(1, hidden // self.reduction_factor)

    def invertible_size(self, hidden: int) -> int:
        return max(1, (hidden // 2) // self.invertible_reduction_factor)
