"""Composition of deltas: `compose` (addition), `apply_all`, and `merge_into_folder`.

Composition is addition, so the result must not depend on the order of the arguments. Float
addition of more than two terms is not associative, so `compose` sums in a canonical order
(sorted by a content hash) with float64 accumulation: any permutation gives the same bits.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn

from sparsexlt.adapters.sparse_delta import DeltaInfo, SparseDelta
from sparsexlt.errors import DeterministicError, IncompatibleModelError
from sparsexlt.util.atomic import atomic_dir
from sparsexlt.util.progress import log

WEIGHT_PATTERNS = ("*.bin", "*.pt", "*.pth", "*.ckpt", "*.h5", "*.msgpack")


def compose(*deltas: SparseDelta) -> SparseDelta:
    """φ1 + φ2 + …: overlapping entries add, the result's indices are sorted.

    Deltas must share the base model (fingerprint) and parameter shapes. A new parameter
    (absolute values, e.g. a task head) may appear in one delta only.
    """
    if not deltas:
        raise ValueError("compose needs at least one delta")
    deltas = tuple(sorted((_on_cpu(d) for d in deltas), key=content_key))
    shapes = _merged_shapes(deltas)
    new = _merged_new_parameters(deltas)
    sparse, dense = {}, {}
    for name in shapes:
        parts = [d for d in deltas if name in d.sparse or name in d.dense]
        if name in new or any(name in d.dense for d in parts):
            dense[name] = _sum_dense(name, parts, shapes[name])
        else:
            sparse[name] = _sum_sparse(name, parts)
    info = _merged_info(deltas)
    return SparseDelta(sparse, dense, shapes, new, info)


def apply_all(
    model: nn.Module, deltas: Sequence[SparseDelta], check_fingerprint: bool = True
) -> SparseDelta:
    """Apply several deltas as one (fingerprint checked once); revert with the returned delta."""
    combined = compose(*deltas)
    combined.apply(model, check_fingerprint=check_fingerprint)
    return combined


def merge_into_folder(
    model_folder: str | Path,
    deltas: Sequence[SparseDelta],
    out_folder: str | Path,
    overwrite: bool = False,
) -> Path:
    """Write a normal Hugging Face model folder with the deltas added to its weights.

    The folder's backbone is loaded with `sparsexlt.models.load_backbone` — exactly as the
    pipeline loads bases, so the base fingerprint check sees the same value; then every `*.safetensors` weight file is rewritten with the changed
    tensors (same keys, dtypes and sharding, so the architecture — e.g. a masked-LM head — is
    kept) and every other file (config, tokenizer) is copied unchanged. New parameters (task
    heads) have no place in a base model folder and are left out (logged).
    """
    from sparsexlt.models.loading import ModelNotFoundError, load_backbone

    model_folder, out_folder = Path(model_folder), Path(out_folder)
    if not model_folder.is_dir():
        raise ModelNotFoundError(
            f"{model_folder}: not a model folder (merging needs the base model saved locally)"
        )
    weight_files = sorted(model_folder.glob("*.safetensors"))
    if not weight_files:
        raise DeterministicError(f"{model_folder}: no *.safetensors weights to merge into")
    combined = compose(*deltas)
    backbone = load_backbone(model_folder)
    combined.apply(backbone, skip_new_parameters=True)
    params = dict(backbone.named_parameters(remove_duplicate=False))
    changed = {_bare(n): params[_bare(n)] for n in combined.names() if _bare(n) in params}
    skipped = sorted(n for n in combined.names() if _bare(n) not in params)
    prefix = getattr(backbone, "base_model_prefix", "") + "."
    written: set[str] = set()
    with atomic_dir(out_folder, overwrite=overwrite) as tmp:
        for path in weight_files:
            written |= _rewrite_weights(path, tmp / path.name, changed, prefix)
        for path in model_folder.iterdir():
            if path.is_file() and path.suffix != ".safetensors" and not _is_weight(path):
                shutil.copy2(path, tmp / path.name)
        missing = sorted(set(changed) - written)
        if missing:
            raise IncompatibleModelError(
                f"{model_folder}: parameter {missing[0]} not found in weights"
            )
        record = {"merged": [asdict(d.info) for d in deltas], "left_out": skipped}
        (tmp / "sparsexlt_merge.json").write_text(json.dumps(record, indent=2, default=str))
    if skipped:
        log(f"merge: left out {len(skipped)} new parameter(s) the base model lacks: {skipped}")
    return out_folder


def content_key(delta: SparseDelta) -> str:
    """The canonical order of summation: the delta's content hash (`tensor_hash.delta_key`)."""
    return delta.content_hash()


def _on_cpu(delta: SparseDelta) -> SparseDelta:
    tensors = [t for pair in delta.sparse.values() for t in pair] + list(delta.dense.values())
    return delta if all(t.device.type == "cpu" for t in tensors) else delta.to("cpu")


def _merged_shapes(deltas: Sequence[SparseDelta]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    fingerprints = {d.info.base_fingerprint for d in deltas} - {None}
    if len(fingerprints) > 1:
        raise IncompatibleModelError(
            f"cannot compose deltas of different base models (fingerprints {sorted(fingerprints)})"
        )
    for d in deltas:
        for name in d.names():
            shape = d.shapes[name]
            if shapes.setdefault(name, shape) != shape:
                raise IncompatibleModelError(
                    f"parameter {name}: shapes {list(shapes[name])} and {list(shape)} differ"
                )
    return shapes


def _merged_new_parameters(deltas: Sequence[SparseDelta]) -> set[str]:
    new: set[str] = set()
    for d in deltas:
        for name in d.new_parameters:
            holders = [o for o in deltas if name in o.names()]
            if len(holders) > 1:
                raise IncompatibleModelError(
                    f"parameter {name} is a new (absolute) parameter in one delta and also set by "
                    f"another; absolute values cannot be added"
                )
            new.add(name)
    return new


def _sum_dense(name: str, parts: Sequence[SparseDelta], shape: tuple[int, ...]) -> torch.Tensor:
    out_dtype = _result_dtype(name, parts)
    total = torch.zeros(shape, dtype=torch.float64)
    flat = total.view(-1)
    for d in parts:
        if name in d.dense:
            total += d.dense[name].to(torch.float64)
        else:
            idx, values = d.sparse[name]
            flat.index_add_(0, idx.long(), values.to(torch.float64))
    return total.to(out_dtype)


def _sum_sparse(name: str, parts: Sequence[SparseDelta]) -> tuple[torch.Tensor, torch.Tensor]:
    out_dtype = _result_dtype(name, parts)
    idx = torch.cat([d.sparse[name][0].long() for d in parts])
    values = torch.cat([d.sparse[name][1].to(torch.float64) for d in parts])
    unique, inverse = torch.unique(idx, sorted=True, return_inverse=True)
    total = torch.zeros(unique.numel(), dtype=torch.float64).index_add_(0, inverse, values)
    return unique, total.to(out_dtype)


def _result_dtype(name: str, parts: Sequence[SparseDelta]) -> torch.dtype:
    dtype = None
    for d in parts:
        t = d.dense[name] if name in d.dense else d.sparse[name][1]
        dtype = t.dtype if dtype is None else torch.promote_types(dtype, t.dtype)
    return dtype


def _merged_info(deltas: Sequence[SparseDelta]) -> DeltaInfo:
    def common(field: str):
        values = {getattr(d.info, field) for d in deltas} - {None}
        return values.pop() if len(values) == 1 else None

    def joined(field: str):
        values = sorted({getattr(d.info, field) for d in deltas} - {None})
        return "+".join(values) or None

    methods = {d.method for d in deltas}
    if len(deltas) == 1:
        return DeltaInfo(**asdict(deltas[0].info))
    parts = [{k: v for k, v in asdict(d.info).items() if k != "training_config"} for d in deltas]
    return DeltaInfo(
        method=methods.pop() if len(methods) == 1 else "composed",
        base_model=common("base_model"),
        base_fingerprint=common("base_fingerprint"),
        task=joined("task"),
        language=joined("language"),
        extra={"composed_of": parts},
    )


def _bare(name: str) -> str:
    return name.removeprefix("backbone.")


def _is_weight(path: Path) -> bool:
    if path.name.startswith("pytorch_model") and path.name.endswith(".index.json"):
        return True
    return any(path.match(p) for p in WEIGHT_PATTERNS)


def _rewrite_weights(
    src: Path, dst: Path, changed: dict[str, torch.Tensor], prefix: str
) -> set[str]:
    """Copy one safetensors file, replacing tensors of changed parameters; returns those names."""
    tensors, written = {}, set()
    with safe_open(str(src), framework="pt") as f:
        metadata = f.metadata()
        for key in f.keys():  # noqa: SIM118 - safe_open is not a mapping
            tensor = f.get_tensor(key)
            name = key if key in changed else key.removeprefix(prefix)
            if name in changed:
                tensor = changed[name].detach().to("cpu", tensor.dtype).contiguous()
                written.add(name)
            tensors[key] = tensor
    save_file(tensors, str(dst), metadata=metadata)
    return written
