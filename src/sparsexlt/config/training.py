"""Hyperparameters of one training run, and the methods of a pipeline.

Common fields are typed here; what only one method understands goes in `extra` and is checked by
that method when it is built (`get_method(name)(**extra)`), not here: the config layer does not
import the adapters.
"""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple

from pydantic import BeforeValidator, Field, model_validator

from sparsexlt.config._base import (
    ConfigModel,
    Count,
    NonNegFloat,
    PositiveFloat,
    _reject_bool,
    fail,
)
from sparsexlt.config.constants import (
    METHOD_NAMES,
    PHASED_METHODS,
    SLUG_PATTERN,
    SPARSE_METHODS,
    MethodName,
)


def _parse_k(value: Any) -> Any:
    """K is a count (int ≥ 1) or a proportion of the trainable entries (float in (0, 1])."""
    _reject_bool(value)
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            try:
                value = float(value)
            except ValueError:
                raise ValueError(f"expected a count or a proportion, got {value!r}") from None
    if isinstance(value, int):
        if value < 1:
            raise ValueError(f"a count must be ≥ 1, got {value}")
    elif isinstance(value, float):
        if not 0 < value <= 1:
            raise ValueError(f"a proportion must be in (0, 1], got {value}")
    elif value is not None:
        raise ValueError(f"expected a count or a proportion, got {value!r}")
    return value


SparsityK = Annotated[int | float | None, BeforeValidator(_parse_k)]


def _parse_lr(value: Any) -> Any:
    """A learning rate (> 0), or a list of them: one per phase."""
    if isinstance(value, list):
        return [_positive_rate(v) for v in value]
    return _positive_rate(value)


def _positive_rate(value: Any) -> float:
    _reject_bool(value)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    if not isinstance(value, (int, float)):
        raise ValueError(f"expected a number or a list of numbers (one per phase), got {value!r}")
    if not value > 0:
        raise ValueError(f"a learning rate must be > 0, got {value}")
    return float(value)


LearningRate = Annotated[float | list[float], BeforeValidator(_parse_lr)]


class Budget(NamedTuple):
    """How long one phase trains: exactly one of `steps` and `epochs` is set."""

    steps: int | None
    epochs: float | None


class TrainingConfig(ConfigModel):
    """One training job (a language SFT, a task SFT, an adapter, an MT adaptation).

    Length: give at most one of `steps`, `epochs`, `phase_epochs`, or `phase1_steps` +
    `phase2_steps` (the last two only for lt-sft). With none, one epoch (per phase).
    """

    k: SparsityK = Field(
        None,
        description="Sparse methods: how many entries move, as a count (int) or a proportion of "
        "the trainable entries (float in (0,1]); null: the method's default.",
    )
    steps: Count | None = Field(None, description="Optimizer steps (per phase for lt-sft).")
    epochs: PositiveFloat | None = Field(None, description="Epochs (per phase for lt-sft).")
    phase1_steps: Count | None = Field(
        None, description="lt-sft: steps of the full fine-tuning that selects the K entries."
    )
    phase2_steps: Count | None = Field(
        None, description="lt-sft: steps of the sparse fine-tuning of the selected entries."
    )
    phase_epochs: PositiveFloat | None = Field(None, description="lt-sft: epochs of each phase.")
    lr: LearningRate = Field(
        5e-5,
        description="Peak learning rate: one value for every phase, or a list with one per "
        "phase (lt-sft: [full phase, sparse phase]). Each phase warms up and decays to it anew.",
    )
    phase1_lr: PositiveFloat | None = Field(
        None, description="lt-sft: peak learning rate of the full fine-tuning phase; null: lr."
    )
    phase2_lr: PositiveFloat | None = Field(
        None,
        description="lt-sft: peak learning rate of the sparse phase (training only the K "
        "selected entries often wants another rate than the dense phase); null: lr.",
    )
    batch_size: Count = Field(16, description="Examples per micro-batch.")
    grad_accum: Count = Field(1, description="Micro-batches per optimizer step.")
    warmup_ratio: Annotated[float, BeforeValidator(_reject_bool), Field(ge=0, lt=1)] = Field(
        0.0, description="Fraction of the steps spent warming the learning rate up linearly."
    )
    weight_decay: NonNegFloat = Field(0.0, description="AdamW weight decay.")
    l1_lambda: NonNegFloat = Field(
        0.0, description="L1 penalty pulling the delta toward zero (θ toward θ0)."
    )
    max_grad_norm: PositiveFloat | None = Field(
        1.0, description="Clip the gradient norm to this; null: no clipping."
    )
    max_length: Count | None = Field(
        None, description="Token limit for this job; null: base_model.max_length."
    )
    eval_every: Count | None = Field(
        None, description="Evaluate on the validation split every this many steps; null: never."
    )
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description="Method-specific settings, checked by the method: e.g. spiel-ag/spiel-ma "
        "`reselection_interval`, lora `rank`/`alpha`/`dropout`, madx `reduction_factor`.",
    )

    @model_validator(mode="after")
    def _one_length(self) -> TrainingConfig:
        given = [
            name
            for name, on in [
                ("steps", self.steps is not None),
                ("epochs", self.epochs is not None),
                ("phase_epochs", self.phase_epochs is not None),
                ("phase1_steps/phase2_steps", None not in (self.phase1_steps, self.phase2_steps)),
            ]
            if on
        ]
        if len(given) > 1:
            fail([("", f"give only one training length; got {' and '.join(given)}")])
        if (self.phase1_steps is None) != (self.phase2_steps is None):
            missing = "phase2_steps" if self.phase2_steps is None else "phase1_steps"
            fail([(missing, "phase1_steps and phase2_steps go together")])
        if isinstance(self.lr, list) and (self.phase1_lr, self.phase2_lr) != (None, None):
            fail([("lr", "give lr as a list or phase1_lr/phase2_lr, not both")])
        if isinstance(self.lr, list) and not self.lr:
            fail([("lr", "a list of learning rates needs one per phase")])
        return self

    def learning_rate(self) -> float | list[float]:
        """`lr` with phase1_lr/phase2_lr filled in: one value when every phase shares it (so
        `lr: 0.01` and `lr: [0.01, 0.01]` are the same job), else one per phase."""
        rates: float | list[float] = self.lr
        if (self.phase1_lr, self.phase2_lr) != (None, None):
            rates = [self.phase1_lr or self.lr, self.phase2_lr or self.lr]
        if isinstance(rates, list) and len(set(rates)) == 1:
            return rates[0]
        return rates

    def budget(self, phase: int = 0) -> Budget:
        """Length of phase `phase` (0-based; lt-sft has phases 0 and 1, others only 0)."""
        if self.phase1_steps is not None and self.phase2_steps is not None:
            return Budget((self.phase1_steps, self.phase2_steps)[min(phase, 1)], None)
        if self.steps is not None:
            return Budget(self.steps, None)
        epochs = self.phase_epochs or self.epochs or 1.0
        return Budget(None, epochs)


class MethodConfig(ConfigModel):
    """One fine-tuning method run through the recipe (language components + task component)."""

    name: MethodName = Field(description="One of " + ", ".join(METHOD_NAMES) + ".")
    label: str | None = Field(
        None,
        pattern=SLUG_PATTERN,
        description="Distinguishes two entries of the same method (e.g. two K values); result "
        "rows and artifact folders use `label`, or `name` when absent.",
    )
    language: TrainingConfig | None = Field(
        default_factory=TrainingConfig,
        description="Training of each language's component (masked LM on `unlabelled`); null: "
        "no language components for this method.",
    )
    task: TrainingConfig = Field(
        default_factory=TrainingConfig, description="Training of the task component."
    )

    @model_validator(mode="after")
    def _fits_method(self) -> MethodConfig:
        problems = []
        for part in ("language", "task"):
            cfg: TrainingConfig | None = getattr(self, part)
            if cfg is None:
                continue
            if cfg.k is not None and self.name not in SPARSE_METHODS:
                problems.append((f"{part}.k", f"{self.name} is not a sparse method (no K)"))
            phased = cfg.phase1_steps is not None or cfg.phase_epochs is not None
            if phased and self.name not in PHASED_METHODS:
                problems.append(
                    (
                        part,
                        "phase1_steps/phase2_steps/phase_epochs are for lt-sft, "
                        f"not {self.name}; use steps or epochs",
                    )
                )
            if (cfg.phase1_lr, cfg.phase2_lr) != (None, None) and self.name not in PHASED_METHODS:
                problems.append(
                    (f"{part}.phase1_lr", f"phase1_lr/phase2_lr are for lt-sft, not {self.name}")
                )
            phases = 2 if self.name in PHASED_METHODS else 1
            if isinstance(cfg.lr, list) and len(cfg.lr) != phases:
                problems.append(
                    (
                        f"{part}.lr",
                        f"{len(cfg.lr)} learning rates for the {phases} phase(s) of {self.name}",
                    )
                )
        if problems:
            fail(problems)
        return self

    @property
    def key(self) -> str:
        """The entry's identity in results and artifact paths: `label`, else `name`."""
        return self.label or self.name
