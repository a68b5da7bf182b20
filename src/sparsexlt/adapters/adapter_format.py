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

from pathlib import Path
from typing import Any

import torch

from sparsexlt.adapters.tensor_folder import TensorFolder
from sparsexlt.errors import DataFormatError

TENSORS_FILE = "adapter.safetensors"
MANIFEST_FILE = "adapter.json"
FORMAT_NAME = "sparsexlt-adapter"
FORMAT_VERSION = 1
DENSE_SUFFIX = ".dense"
FOLDER = TensorFolder(TENSORS_FILE, MANIFEST_FILE, FORMAT_NAME, FORMAT_VERSION, "adapter")
write_adapter = FOLDER.write  # (directory, manifest, tensors, overwrite=False) -> Path


def read_adapter(
    directory: str | Path, method: str
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read a folder written by `write_adapter` for `method`; returns (manifest, tensors)."""
    manifest_path, tensors_path = FOLDER.paths(directory)
    manifest = FOLDER.read_manifest(directory)
    if manifest.get("method") != method:
        raise DataFormatError(
            manifest_path, None, f"method {manifest.get('method')!r}; expected {method!r}"
        )
    if manifest.get("format") != FORMAT_NAME:
        raise DataFormatError(manifest_path, None, f"format {manifest.get('format')!r} unknown")
    tensors = FOLDER.read_tensors(directory)
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
