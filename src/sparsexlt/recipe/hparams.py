"""A config's `methods[].language/task` block → the method's hyperparameters and a TrainConfig.

The config types the settings every method shares (`k`, `l1_lambda`, lengths, optimiser);
what only one method understands sits in `extra` and is passed through for the method itself to
check (`get_method(name)(**hparams)` raises a ConfigError naming an unknown option).
Which shared settings a method takes is a table here, not an if-chain in the steps.
"""

from __future__ import annotations

from typing import Any, Literal

from sparsexlt.config import MethodConfig, TrainingConfig

Part = Literal["language", "task"]

# Keyword options each built-in method accepts beyond `extra` (see each method's config class).
_MANIFEST_FIELDS = ("seed", "task", "language", "base_model")
METHOD_OPTIONS: dict[str, tuple[str, ...]] = {
    "lt-sft": ("k", "language_sft", "l1_lambda", *_MANIFEST_FIELDS),
    "spiel-ag": ("k", "language_sft", *_MANIFEST_FIELDS),
    "spiel-ma": ("k", "language_sft", *_MANIFEST_FIELDS),
    "full": (),
    "lora": ("language_sft", *_MANIFEST_FIELDS),
    "madx": ("language_sft", *_MANIFEST_FIELDS),
}


def method_hparams(
    method: MethodConfig,
    part: Part,
    *,
    seed: int,
    task: str | None = None,
    language: str | None = None,
    base_model: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `get_method(method.name)(...)` for the language or task component.

    Methods outside `METHOD_OPTIONS` (plug-ins) receive `language_sft` and `extra`.
    """
    cfg = _training(method, part)
    offered: dict[str, Any] = {
        "k": cfg.k,
        "language_sft": part == "language",
        "l1_lambda": cfg.l1_lambda or None,
        "seed": seed,
        "task": task,
        "language": language,
        "base_model": base_model,
    }
    accepted = METHOD_OPTIONS.get(method.name, ("language_sft",))
    hparams = {k: v for k, v in offered.items() if k in accepted and v is not None}
    hparams.update(cfg.extra)
    return hparams


def train_config_kwargs(method: MethodConfig, part: Part, *, seed: int) -> dict[str, Any]:
    """Keyword arguments for `sparsexlt.training.TrainConfig` (JSON-friendly, for cache keys)."""
    cfg = _training(method, part)
    kwargs: dict[str, Any] = {
        "batch_size": cfg.batch_size,
        "grad_accum": cfg.grad_accum,
        "lr": cfg.learning_rate(),  # one value, or one per phase (lt-sft phase1_lr/phase2_lr)
        "warmup_ratio": cfg.warmup_ratio,
        "weight_decay": cfg.weight_decay,
        "max_grad_norm": cfg.max_grad_norm,
        "eval_every": cfg.eval_every or 0,
        "seed": seed,
    }
    if cfg.phase1_steps is not None and cfg.phase2_steps is not None:
        kwargs["steps"] = [cfg.phase1_steps, cfg.phase2_steps]
    elif cfg.steps is not None:
        kwargs["steps"] = cfg.steps
    else:
        kwargs["epochs"] = cfg.phase_epochs or cfg.epochs or 1.0
    return kwargs


def weight_settings(train: dict[str, Any]) -> dict[str, Any]:
    """`train_config_kwargs` less the fields that by contract never change the trained weights
    (`TrainConfig`'s OPERATIONAL_FIELDS, e.g. `eval_every`): what artifact keys hash, so
    watching a training differently does not retrain it. (Imported when called:
    `training.config` loads torch, which importing this module should not.)"""
    from sparsexlt.training.config import OPERATIONAL_FIELDS

    return {k: v for k, v in train.items() if k not in OPERATIONAL_FIELDS}


def max_length(method: MethodConfig, part: Part, default: int) -> int:
    """Token limit of the job: its own `max_length`, else the base model's."""
    return _training(method, part).max_length or default


def step_settings(
    method: MethodConfig, part: Part, *, seed: int, default_length: int, **manifest: str | None
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """(`method_hparams`, `train_config_kwargs`, `max_length`) of one language or task step;
    `manifest` (task, language, base_model) goes to the method's hyperparameters."""
    return (
        method_hparams(method, part, seed=seed, **manifest),
        train_config_kwargs(method, part, seed=seed),
        max_length(method, part, default_length),
    )


def has_language_components(method: MethodConfig) -> bool:
    """False when the config switched language components off (`language: null`)."""
    return method.language is not None


def _training(method: MethodConfig, part: Part) -> TrainingConfig:
    cfg = getattr(method, part)
    if cfg is None:
        raise ValueError(f"method {method.key!r} has no {part} training (it is null)")
    return cfg
