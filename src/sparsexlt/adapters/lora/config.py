"""LoRA hyperparameters: one dataclass, every field documented and validated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from sparsexlt.adapters.adapter_settings import AdapterSettings, check_k, positive_int


@dataclass
class LoraSettings(AdapterSettings):
    """How `lora` trains (Hu et al., 2021: W + (alpha/r)·B·A with A: r×in, B: out×r, B = 0 at first).

    r: the rank of every adapted matrix (`rank` is accepted as an alias). Ignored when `k` is set.
    alpha: scaling numerator; the update is (alpha / r)·B·A. None = 2·r (a scale of 2).
    dropout: dropout on the LoRA branch's input (0 = none).
    target_modules: module names to adapt — a full name inside the encoder, its last dotted
        component (`query`) or a dotted suffix (`attention.output.dense`); None = every
        `nn.Linear` of the encoder.
    k: a trainable budget instead of a rank: an int count of LoRA entries, or a float in (0, 1]:
        that proportion of the encoder's parameters. Ranks are then chosen per matrix so that
        Σ r·(in + out) is as close to K as possible (see `ranks.ranks_for_budget`).
    language_sft: train a language component (masked LM): only LoRA trains, no head is exported.
        None = decide from the model (a masked-LM model → True).
    seed: initialisation of the A matrices (peft: Kaiming-uniform; B starts at zero).
    task, language, base_model: recorded in the exported manifest.
    """

    SECTION: ClassVar[str] = "lora hyperparameters"
    ALIASES: ClassVar[dict[str, str]] = {"rank": "r"}

    r: int = 8
    alpha: float | None = None
    dropout: float = 0.0
    target_modules: list[str] | None = None
    k: int | float | None = None

    def problems(self) -> list[str]:
        problems = []
        if not positive_int(self.r):
            problems.append(f"r: a positive int rank, got {self.r!r}")
        if self.alpha is not None and not self.alpha > 0:
            problems.append(f"alpha: must be > 0 or null, got {self.alpha!r}")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout: must lie in [0, 1), got {self.dropout!r}")
        if self.target_modules is not None and not self.target_modules:
            problems.append("target_modules: an empty list adapts nothing; use null for all")
        return problems + ([] if self.k is None else check_k(self.k))

    def alpha_for(self, rank: int) -> float:
        return float(self.alpha) if self.alpha is not None else 2.0 * rank
