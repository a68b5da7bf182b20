"""The on-disk SFT format: a folder with `sft.safetensors` + `sft.json`. Never pickle.

Tensors (safetensors):
  `<name>.indices`  int32 (int64 only for parameters with ≥ 2^31 entries), flat row-major,
                    strictly increasing (sorted and unique), each < numel(shape)
  `<name>.values`   floating, same length as the indices; additive
  `<name>.dense`    floating, full parameter shape; additive, or absolute when `name` is listed
                    in the manifest's `new_parameters` (a new task head)
Manifest (JSON): `format`, `format_version`, `method`, `k` (number of sparse entries),
`base_model`, `base_fingerprint`, `task`, `language`, `training_config`, `library_version`,
`shapes` ({name: [dims]} for every parameter present), `new_parameters` ([names]) and
free-form `extra`.

This module knows the layout only; `SparseDelta` turns it into a value. Reading validates
everything and names the parameter and the file at fault (`DataFormatError`).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import torch

from sparsexlt.adapters.tensor_folder import TensorFolder
from sparsexlt.errors import DataFormatError

TENSORS_FILE = "sft.safetensors"
MANIFEST_FILE = "sft.json"
FORMAT_NAME = "sparsexlt-sft"
FORMAT_VERSION = 1
SUFFIXES = (".indices", ".values", ".dense")
INT32_LIMIT = 2**31
FOLDER = TensorFolder(TENSORS_FILE, MANIFEST_FILE, FORMAT_NAME, FORMAT_VERSION, "SFT")
write_sft = FOLDER.write  # (directory, manifest, tensors, overwrite=False) -> Path


def index_dtype(numel: int) -> torch.dtype:
    """int32 unless the parameter is too large for it."""
    return torch.int32 if numel < INT32_LIMIT else torch.int64


def read_sft(directory: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Read and validate a folder; returns (manifest, tensors)."""
    manifest_path, tensors_path = FOLDER.paths(directory)
    manifest = FOLDER.read_manifest(directory)
    tensors = FOLDER.read_tensors(directory)
    validate(manifest, tensors, manifest_path, tensors_path)
    return manifest, tensors


def validate(
    manifest: dict[str, Any],
    tensors: dict[str, torch.Tensor],
    manifest_path: str | Path = MANIFEST_FILE,
    tensors_path: str | Path = TENSORS_FILE,
) -> None:
    """Check the manifest fields and every tensor against the format described above."""
    for field in ("method", "shapes"):
        if field not in manifest:
            raise DataFormatError(manifest_path, None, f"field {field!r} missing")
    shapes = manifest["shapes"]
    new = manifest.get("new_parameters", [])
    unknown_new = [n for n in new if n not in shapes]
    if unknown_new:
        raise DataFormatError(manifest_path, None, f"new_parameters without a shape: {unknown_new}")
    names = {}
    for key in tensors:
        name, suffix = split_key(key)
        if suffix is None:
            raise DataFormatError(tensors_path, None, f"tensor {key!r}: unknown suffix")
        names.setdefault(name, set()).add(suffix)
    for name, suffixes in names.items():
        if name not in shapes:
            raise DataFormatError(manifest_path, None, f"parameter {name}: no entry in 'shapes'")
        _check_entry(name, suffixes, tensors, list(shapes[name]), tensors_path)
    total = sum(tensors[f"{n}.indices"].numel() for n, s in names.items() if ".indices" in s)
    if "k" in manifest and manifest["k"] is not None and int(manifest["k"]) != total:
        raise DataFormatError(
            manifest_path, None, f"k={manifest['k']} but the file holds {total} sparse entries"
        )


def split_key(key: str) -> tuple[str, str | None]:
    for suffix in SUFFIXES:
        if key.endswith(suffix):
            return key[: -len(suffix)], suffix
    return key, None


def _check_entry(
    name: str,
    suffixes: set[str],
    tensors: dict[str, torch.Tensor],
    shape: list[int],
    path: str | Path,
) -> None:
    def fail(msg: str) -> None:
        raise DataFormatError(path, None, f"parameter {name}: {msg}")

    if ".dense" in suffixes:
        if suffixes != {".dense"}:
            fail("has both a dense tensor and sparse indices/values")
        dense = tensors[f"{name}.dense"]
        if list(dense.shape) != shape:
            fail(f"dense shape {list(dense.shape)} differs from manifest shape {shape}")
        if not dense.is_floating_point():
            fail(f"dense dtype {dense.dtype} is not floating point")
        return
    if suffixes != {".indices", ".values"}:
        fail(f"needs both .indices and .values, found {sorted(suffixes)}")
    idx, values = tensors[f"{name}.indices"], tensors[f"{name}.values"]
    numel = math.prod(shape)
    if idx.dtype not in (torch.int32, torch.int64):
        fail(f"indices dtype {idx.dtype}; expected int32 (int64 for ≥ 2^31 entries)")
    if idx.dtype == torch.int64 and numel < INT32_LIMIT:
        fail("indices are int64 but the parameter has < 2^31 entries; expected int32")
    if idx.dim() != 1 or values.dim() != 1 or idx.numel() != values.numel():
        fail(f"indices {list(idx.shape)} and values {list(values.shape)} must be 1-D, same length")
    if not values.is_floating_point():
        fail(f"values dtype {values.dtype} is not floating point")
    if idx.numel():
        if idx.numel() > 1 and not bool((idx[1:] > idx[:-1]).all()):
            fail("indices are not sorted and unique")
        if int(idx[0]) < 0 or int(idx[-1]) >= numel:
            fail(f"index out of range [0, {numel}) for shape {shape}")


def parameter_group(name: str) -> str:
    """A coarse group for reports: `embeddings`, `layer.N`, `head`, or the first name part."""
    rest = name.removeprefix("backbone.")
    if name.startswith("head."):
        return "head"
    match = re.search(r"(?:^|\.)(?:layer|layers|h|block|blocks)\.(\d+)\.", rest)
    if match:
        return f"layer.{match.group(1)}"
    first = rest.split(".", 1)[0]
    return "embeddings" if "embed" in first else first


def summarize(directory: str | Path) -> dict[str, Any]:
    """What `sparsexlt sft info` shows: method, K, entries and nonzeros per group, size, base."""
    directory = Path(directory)
    manifest, tensors = read_sft(directory)
    groups: dict[str, dict[str, int]] = {}
    for key, tensor in tensors.items():
        name, suffix = split_key(key)
        if suffix == ".indices":
            continue
        group = groups.setdefault(parameter_group(name), {"entries": 0, "nonzero": 0})
        group["entries"] += tensor.numel()
        group["nonzero"] += int(torch.count_nonzero(tensor))
    size = sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    return {
        "path": str(directory),
        "method": manifest["method"],
        "k": manifest.get("k"),
        "base_model": manifest.get("base_model"),
        "base_fingerprint": manifest.get("base_fingerprint"),
        "task": manifest.get("task"),
        "language": manifest.get("language"),
        "new_parameters": manifest.get("new_parameters", []),
        "size_bytes": size,
        "groups": dict(sorted(groups.items(), key=lambda kv: _group_order(kv[0]))),
    }


def _group_order(group: str) -> tuple[int, int, str]:
    if group == "embeddings":
        return (0, 0, group)
    if group.startswith("layer."):
        return (1, int(group.split(".")[1]), group)
    return (3 if group == "head" else 2, 0, group)
