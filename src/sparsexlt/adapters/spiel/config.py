"""SpIEL hyperparameters: one dataclass, every field documented and validated."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sparsexlt.adapters.adapter_settings import check_k
from sparsexlt.errors import ConfigError

GROWTH = ("ag", "ma")
GRAD_MODES = ("auto", "dense", "sampled")
SCHEDULES = ("linear", "cosine")


@dataclass
class SpielConfig:
    """How SpIEL trains (Ansell et al., 2024, "Scaling Sparse Fine-Tuning to LLMs").

    k: the sparse budget K — an int count of entries, or a float in (0, 1]: that proportion of
        the model's parameters (a TaskModel's backbone; every parameter of a bare model).
        Spread over the target matrices in proportion to their size. Default 1%.
    growth: "ag" (accumulated gradients, AdamW) or "ma" (SM3 accumulators); set by the
        registered name (`spiel-ag` / `spiel-ma`).
    target_modules: module names (or their last dotted component) to train sparsely; None =
        every Linear of the backbone (of the whole model when it has no `.backbone`).
    embeddings: also train entries of the input embedding matrices (nn.Embedding).
    dense_modules: parameter-name prefixes trained densely and exported as new parameters;
        None = ["head."] for a model with a `.head`, else nothing.
    reselection_interval: γ, optimizer steps between selections.
    selection_window: A, steps over which AG accumulates candidate gradients before a
        selection (clamped to γ).
    drop_fraction: p0; the first selection drops everything (p = 1), later ones drop
        p0·(1 − t/T) (linear) or p0·(1 + cos(πt/T))/2 (cosine) of each matrix's entries.
    drop_schedule: "linear" or "cosine".
    total_steps: T; no reselection at or after it. None = p0 for ever.
    candidate_multiplier: AG keeps this many candidates per entry to grow (never more than the
        matrix's active count unless growth itself needs more).
    grad_mode: how dφ is computed: "dense" (dW for one layer, gathered, freed), "sampled"
        (dot products at the K entries only), "auto" (by device and density; see grad_kernels).
    betas, eps: AdamW (AG).
    sm3_momentum, sm3_beta, sm3_eps: SM3 (MA): momentum on the update (0 = none, no
        per-entry state), accumulator decay (0 = sums, as in the SM3 paper), epsilon.
    score_block_elements: MA scores row[r]·col[c] in blocks of at most this many entries.
    language_sft: a language SFT: no head is trained or exported.
    seed: random initial indices (and the rare random fill when candidates run short).
    task, language, base_model: recorded in the exported manifest.
    """

    k: int | float = 0.01
    growth: str = "ag"
    target_modules: list[str] | None = None
    embeddings: bool = False
    dense_modules: list[str] | None = None
    reselection_interval: int = 20
    selection_window: int = 5
    drop_fraction: float = 0.2
    drop_schedule: str = "linear"
    total_steps: int | None = None
    candidate_multiplier: float = 2.0
    grad_mode: str = "auto"
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    sm3_momentum: float = 0.0
    sm3_beta: float = 0.0
    sm3_eps: float = 1e-30
    score_block_elements: int = 1 << 24
    language_sft: bool = False
    seed: int = 0
    task: str | None = None
    language: str | None = None
    base_model: str | None = None

    def __post_init__(self) -> None:
        self.betas = tuple(float(b) for b in self.betas)  # type: ignore[assignment]
        problems = [p for check in _CHECKS for p in check(self)]
        if problems:
            raise ConfigError(f"spiel-{self.growth} hyperparameters", problems)

    @classmethod
    def from_hparams(cls, growth: str, hparams: dict[str, Any]) -> SpielConfig:
        """Build from a method's keyword hyperparameters; unknown names are a ConfigError."""
        known = {f.name for f in fields(cls)} - {"growth"}
        unknown = sorted(set(hparams) - known)
        if unknown:
            raise ConfigError(
                f"spiel-{growth} hyperparameters", [f"{u}: unknown option" for u in unknown]
            )
        return cls(growth=growth, **hparams)

    @property
    def window(self) -> int:
        return min(self.selection_window, self.reselection_interval)


def _check_k(c: SpielConfig) -> list[str]:
    return check_k(c.k)


def _check_choices(c: SpielConfig) -> list[str]:
    out = []
    for name, value, choices in (
        ("growth", c.growth, GROWTH),
        ("grad_mode", c.grad_mode, GRAD_MODES),
        ("drop_schedule", c.drop_schedule, SCHEDULES),
    ):
        if value not in choices:
            out.append(f"{name}: one of {', '.join(choices)}, got {value!r}")
    return out


def _check_numbers(c: SpielConfig) -> list[str]:
    out = []
    if c.reselection_interval < 1:
        out.append(f"reselection_interval: must be ≥ 1, got {c.reselection_interval}")
    if c.selection_window < 1:
        out.append(f"selection_window: must be ≥ 1, got {c.selection_window}")
    if not 0.0 <= c.drop_fraction <= 1.0:
        out.append(f"drop_fraction: must lie in [0, 1], got {c.drop_fraction}")
    if c.total_steps is not None and c.total_steps < 1:
        out.append(f"total_steps: must be ≥ 1 or null, got {c.total_steps}")
    if c.candidate_multiplier < 1.0:
        out.append(f"candidate_multiplier: must be ≥ 1, got {c.candidate_multiplier}")
    if len(c.betas) != 2 or not all(0.0 <= b < 1.0 for b in c.betas):
        out.append(f"betas: two numbers in [0, 1), got {c.betas}")
    if not 0.0 <= c.sm3_momentum < 1.0 or not 0.0 <= c.sm3_beta < 1.0:
        out.append("sm3_momentum, sm3_beta: must lie in [0, 1)")
    if c.score_block_elements < 1:
        out.append(f"score_block_elements: must be ≥ 1, got {c.score_block_elements}")
    return out


_CHECKS = (_check_k, _check_choices, _check_numbers)
