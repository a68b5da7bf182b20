"""The on-disk adapter format (LoRA, MAD-X): a folder with `adapter.safetensors` + `adapter.json`.

Manifest (JSON) fields every adapter has: `format` ("sparsexlt-adapter"), `format_version`,
`method` (the registry name `load_component` dispatches on), `base_fingerprint`,
`library_version`, `new_parameters` (names); each method adds its own fields (documented in its
component module). Tensor keys are the method's own, except `<name>.dense`: the absolute value of
a new parameter (a task head) listed in `new_parameters`, as in the SFT format. Never pickle.

This module knows the layout only; reading checks what is common to every method and names the
file at fault (`DataFormatError`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from sparsexlt.errors import DataFormatError
from sparsexlt.util.atomic import atomic_dir

TENSORS_FILE = "adapter.safetensors"
MANIFEST_FILE = "adapter.json"
FORMAT_NAME = "sparsexlt-adapter"
FORMAT_VERSION = 1
DENSE_SUFFIX = ".dense"


def write_adapter(
    directory: str | Path,
    manifest: dict[str, Any],
    tensors: dict[str, torch.Tensor],
    overwrite: bool = False,
) -> Path:
    """Write atomically: readers see the complete folder or nothing."""
    directory = Path(directory)
    manifest = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **manifest}
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    with atomic_dir(directory, overwrite=overwrite) as tmp:
        save_file(tensors, str(tmp / TENSORS_FILE), metadata={"format": FORMAT_NAME})
        text = json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
        (tmp / MANIFEST_FILE).write_text(text, encoding="utf-8")
    return directory


def read_adapter(
    directory: str | Path, method: str
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read a folder written by `write_adapter` for `method`; returns (manifest, tensors)."""
    directory = Path(directory)
    manifest_path, tensors_path = directory / MANIFEST_FILE, directory / TENSORS_FILE
    for path in (manifest_path, tensors_path):
        if not path.is_file():
            raise DataFormatError(path, None, "missing; not a saved adapter folder")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise DataFormatError(manifest_path, e.lineno, f"invalid JSON: {e.msg}") from None
    if manifest.get("method") != method:
        raise DataFormatError(
            manifest_path, None, f"method {manifest.get('method')!r}; expected {method!r}"
        )
    if manifest.get("format") != FORMAT_NAME:
        raise DataFormatError(manifest_path, None, f"format {manifest.get('format')!r} unknown")
    try:
        tensors = load_file(str(tensors_path))
    except Exception as e:  # safetensors raises its own error types
        raise DataFormatError(tensors_path, None, f"unreadable safetensors file: {e}") from None
    missing = [n for n in manifest.get("new_parameters", []) if n + DENSE_SUFFIX not in tensors]
    if missing:
        raise DataFormatError(tensors_path, None, f"new parameters without a tensor: {missing}")
    return manifest, tensors


def new_parameter_tensors(
    manifest: dict[str, Any], tensors: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """{name: absolute value} of the new parameters (the head) of a read adapter."""
    return {n: tensors[n + DENSE_SUFFIX] for n in manifest.get("new_parameters", [])}


def dense_keys(new_parameters: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The tensor entries that store `new_parameters` (inverse of `new_parameter_tensors`)."""
    return {n + DENSE_SUFFIX: t for n, t in new_parameters.items()}
