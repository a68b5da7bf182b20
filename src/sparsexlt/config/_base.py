"""What every config block shares: unknown keys are errors, numbers are numbers, paths resolve.

Validation context (set by `load_config`, absent when a model is built directly):
`data_dir` (absolute Path that relative data paths resolve against), `config_dir` (the config
file's folder: relative model paths resolve against it), `check_files` (bool: report missing
local files and packages as problems), `data_dir_exists` (skip per-file checks under a
missing data_dir, which is reported once instead).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, NoReturn

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo
from pydantic_core import PydanticCustomError

PROBLEMS_ERROR = "config_problems"


class ConfigModel(BaseModel):
    """Base of every config block: a misspelt key is an error, not a silently ignored setting."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


def _reject_bool(value: Any) -> Any:
    # YAML `true` is a bool, and bool is an int in Python: `steps: true` must not mean 1 step.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    return value


Int = Annotated[int, BeforeValidator(_reject_bool)]
Count = Annotated[int, BeforeValidator(_reject_bool), Field(ge=1)]
NonNegInt = Annotated[int, BeforeValidator(_reject_bool), Field(ge=0)]
PositiveFloat = Annotated[float, BeforeValidator(_reject_bool), Field(gt=0)]
NonNegFloat = Annotated[float, BeforeValidator(_reject_bool), Field(ge=0)]


def absolute(path: str | Path, base: str | Path | None = None) -> Path:
    """`path` made absolute against `base` (default: the working directory), `..` folded.

    No symlink resolution: the path people wrote stays recognisable in messages.
    """
    p = Path(os.path.expanduser(str(path)))
    if not p.is_absolute():
        p = Path(base if base is not None else os.getcwd()) / p
    return Path(os.path.normpath(p))


def context(info: ValidationInfo) -> dict[str, Any]:
    """The validation context as a dict (empty when the model is built without `load_config`)."""
    return info.context if isinstance(info.context, dict) else {}


def looks_like_path(ref: str) -> bool:
    """True for model references that name a local folder rather than a hub id."""
    return ref.startswith(("/", "./", "../", "~")) or ref in {".", ".."}


def fail(problems: list[tuple[str, str]]) -> NoReturn:
    """Raise all of a model's own problems at once, each as (dotted sub-path or '', message).

    `load_config` turns each item into its own line with the sub-path appended to the model's
    path (`methods.1.task.k: ...`); elsewhere the error reads as one joined message.
    """
    summary = "; ".join(f"{path}: {msg}" if path else msg for path, msg in problems)
    raise PydanticCustomError(
        PROBLEMS_ERROR, "{summary}", {"summary": summary, "items": [list(p) for p in problems]}
    )
