"""What the hyperparameters of every adapter method (LoRA, MAD-X) share: one base dataclass.

A method's settings subclass it, add their own fields and list their problems in `problems()`;
construction raises one `ConfigError` naming every problem, and `from_hparams` turns a method's
keyword hyperparameters into settings, refusing unknown names.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeVar

from sparsexlt.errors import ConfigError

_Settings = TypeVar("_Settings", bound="AdapterSettings")


@dataclass
class AdapterSettings:
    """Fields every adapter method has (each subclass documents what they mean for it).

    language_sft: train a language component (masked LM, no head exported) instead of a task
        component; None = decide from the model (a masked-LM model → language).
    seed: initialisation of the new weights.
    task, language, base_model: recorded in the exported manifest.
    """

    SECTION: ClassVar[str] = "adapter hyperparameters"  # names the ConfigError
    ALIASES: ClassVar[dict[str, str]] = {}  # accepted alias → field name

    language_sft: bool | None = None
    seed: int = 0
    task: str | None = None
    language: str | None = None
    base_model: str | None = None

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ConfigError(self.SECTION, problems)

    def problems(self) -> list[str]:
        """One line per invalid field; subclasses check their own fields."""
        return []

    @classmethod
    def from_hparams(cls: type[_Settings], hparams: dict[str, Any]) -> _Settings:
        """Build from a method's keyword hyperparameters; unknown names are a ConfigError."""
        values = dict(hparams)
        for alias, name in cls.ALIASES.items():
            if alias in values:
                if name in values:
                    raise ConfigError(cls.SECTION, [f"{alias}: give {name} or {alias}"])
                values[name] = values.pop(alias)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(cls.SECTION, [f"{u}: unknown option" for u in unknown])
        return cls(**values)


def positive_int(value: Any) -> bool:
    """An int ≥ 1 (a bool is not an int here)."""
    return not isinstance(value, bool) and isinstance(value, int) and value >= 1


def check_k(k: Any) -> list[str]:
    """Problems with a sparse budget `k`: an int count ≥ 1 or a float proportion in (0, 1]."""
    if isinstance(k, bool) or not isinstance(k, (int, float)):
        return [f"k: expected an int count or a float proportion, got {k!r}"]
    if isinstance(k, float) and not 0.0 < k <= 1.0:
        return [f"k: a proportion must lie in (0, 1], got {k}"]
    if isinstance(k, int) and k < 1:
        return [f"k: must be ≥ 1, got {k}"]
    return []
