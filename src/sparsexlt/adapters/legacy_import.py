"""Import SFTs released in the original composable-sft format (`pytorch_diff.bin`).

That file (a torch pickle, read with `torch.load(weights_only=True)`, which refuses arbitrary
objects) holds
    {'diffs': {name: {'size': torch.Size, 'index_steps': tensor, 'values': tensor}},
     'abs':   {name: tensor}}
where `index_steps` is the first flat index followed by the gaps to each next one, with the
tensor flattened in COLUMN-MAJOR (Fortran) order; `abs` holds parameters stored densely with
absolute values (e.g. a classifier head). We convert indices to row-major and sort them.

Names there are Hugging Face names of a model with a head. Mapping to ours:
  `<prefix>.<rest>`  → `backbone.<rest>`   (prefix: the base model's attribute, e.g. `roberta`,
                                            `bert`; detected as the first name component that is
                                            followed by `embeddings`/`encoder`, or given)
  `<rest>` (a bare encoder name starting with `embeddings.`/`encoder.`/`pooler.`)
                     → `backbone.<rest>`
  `<head>.<rest>`    → `head.<rest>`       (every other name, e.g. `classifier.dense.weight` →
                                            `head.dense.weight`)
Dense `abs` entries are absolute values, so they are recorded as `new_parameters` (applied by
assignment), whether or not the base model has them.

Base model: the legacy file records none. `base_model` (an id or folder) is written into the
manifest; when it can be loaded here (a local folder or `pkg:` model) the delta is checked
against it (names, shapes) and its fingerprint recorded, so `apply` checks it later. A hub id
that cannot be loaded offline is recorded without a fingerprint (no check on apply).
"""

from __future__ import annotations

from pathlib import Path

import torch

from sparsexlt.adapters.sparse_delta import DeltaInfo, SparseDelta
from sparsexlt.errors import DataFormatError
from sparsexlt.models.fingerprint import base_fingerprint
from sparsexlt.util.progress import log

LEGACY_FILE = "pytorch_diff.bin"
ENCODER_PARTS = ("embeddings", "encoder", "pooler")


def import_legacy_sft(
    path: str | Path,
    *,
    prefix: str | None = None,
    base_model: str | None = None,
    base_fingerprint: str | None = None,
    method: str = "lt-sft",
) -> SparseDelta:
    """Read a `pytorch_diff.bin` (or a folder holding one) as a SparseDelta (mapping above)."""
    path = Path(path)
    if path.is_dir():
        path = path / LEGACY_FILE
    if not path.is_file():
        raise DataFormatError(path, None, "file not found")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - pickle and zip errors of many kinds
        raise DataFormatError(path, None, f"not a loadable pytorch_diff.bin: {e}") from None
    if not isinstance(data, dict) or not set(data) <= {"diffs", "abs"}:
        raise DataFormatError(path, None, "expected a dict with keys 'diffs' and 'abs'")
    diffs, absolute = data.get("diffs", {}), data.get("abs", {})
    mapping = name_mapping([*diffs, *absolute], prefix, path)
    sparse, shapes = {}, {}
    for name, entry in diffs.items():
        ours = mapping[name]
        shape = tuple(int(d) for d in _field(entry, "size", name, path))
        steps = _field(entry, "index_steps", name, path).to(torch.long).reshape(-1)
        values = _field(entry, "values", name, path).reshape(-1)
        if steps.numel() != values.numel():
            raise DataFormatError(
                path, None, f"parameter {name}: index_steps/values lengths differ"
            )
        column_major = torch.cumsum(steps, 0)
        try:
            sparse[ours] = (fortran_to_row_major(column_major, shape), values)
        except ValueError as e:
            raise DataFormatError(path, None, f"parameter {name}: {e}") from None
        shapes[ours] = shape
    dense = {mapping[n]: t for n, t in absolute.items()}
    info = DeltaInfo(
        method=method,
        base_model=base_model,
        base_fingerprint=base_fingerprint,
        extra={"imported_from": str(path), "legacy_names": {v: k for k, v in mapping.items()}},
    )
    try:
        delta = SparseDelta(sparse, dense, shapes, list(dense), info)
    except ValueError as e:
        raise DataFormatError(path, None, str(e)) from None
    if base_model is not None and base_fingerprint is None:
        _check_against_base(delta, base_model)
    return delta


def _check_against_base(delta: SparseDelta, base_model: str) -> None:
    """Check names/shapes against a loadable base and record its fingerprint."""
    from sparsexlt.models.loading import ModelNotFoundError, load_backbone

    try:
        backbone = load_backbone(base_model)
    except ModelNotFoundError as e:
        log(f"import: base model not loadable here, recorded without a fingerprint ({e})")
        return
    delta.targets(backbone, skip_new_parameters=True)
    delta.info.base_fingerprint = base_fingerprint(backbone)


def fortran_to_row_major(flat: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Column-major flat indices of a tensor of `shape` → row-major flat indices (same entries)."""
    numel = 1
    for d in shape:
        numel *= d
    flat = flat.to(torch.long)
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= numel):
        raise ValueError(f"index out of range [0, {numel}) for shape {list(shape)}")
    coords, rest = [], flat
    for d in shape:  # column-major: the first axis varies fastest
        coords.append(rest % d)
        rest = rest // d
    out = torch.zeros_like(flat)
    for c, d in zip(coords, shape, strict=True):  # row-major: the last axis varies fastest
        out = out * d + c
    return out


def name_mapping(names: list[str], prefix: str | None, path: Path) -> dict[str, str]:
    """Our name for each legacy name (see the module doc)."""
    if prefix is None:
        prefix = _detect_prefix(names, path)
    prefix = prefix.rstrip(".")
    out = {}
    for name in names:
        first, _, rest = name.partition(".")
        if prefix and first == prefix:
            out[name] = "backbone." + rest
        elif not prefix and first in ENCODER_PARTS:
            out[name] = "backbone." + name
        else:
            out[name] = "head." + (rest or name)
    return out


def _detect_prefix(names: list[str], path: Path) -> str:
    parts = [n.split(".") for n in names]
    if any(p[0] in ENCODER_PARTS for p in parts):
        return ""
    found = {p[0] for p in parts if len(p) > 1 and p[1] in ENCODER_PARTS}
    if len(found) != 1:
        raise DataFormatError(
            path,
            None,
            f"cannot tell the base model prefix from the names (candidates: {sorted(found)}); "
            "pass it explicitly (e.g. --prefix roberta)",
        )
    return found.pop()


def _field(entry: dict, key: str, name: str, path: Path):
    if not isinstance(entry, dict) or key not in entry:
        raise DataFormatError(path, None, f"parameter {name}: entry lacks {key!r}")
    return entry[key]
