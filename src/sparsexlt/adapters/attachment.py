"""What every adapter component (LoRA, MAD-X) needs to attach to a model and come off again.

- `locate_backbone(model)`: the encoder and the prefix its parameter names carry in `model`
  (`"backbone."` for a TaskModel, `"roberta."` for a Hugging Face `...ForSequenceClassification`,
  `""` for a bare encoder), so components name modules the way `model.named_parameters()` does.
- `check_new_parameters` / `write_new_parameters` / `restore_parameters`: a task head stored
  with absolute values (like SparseDelta's `new_parameters`), checked in full before anything
  is written, then written over the model's head with the originals kept, so revert is
  bit-for-bit exact.
- `content_hash`: a component's identity for the training loop's resume check.
- `Applications` (defined in `applications`, re-exported): which models a component is applied
  to right now, with what it must undo.
"""

from __future__ import annotations

import hashlib
from typing import Any

import torch
from torch import nn

from sparsexlt.adapters.applications import Applications as Applications  # re-export
from sparsexlt.adapters.sparse_delta import resolve_parameter
from sparsexlt.adapters.tensor_hash import tensor_bytes
from sparsexlt.errors import IncompatibleModelError
from sparsexlt.models.fingerprint import backbone_of
from sparsexlt.util.hashing import canonical_json

MASKED_LM = "masked-lm"  # models.task_types; adapters import models for fingerprints only


def locate_backbone(model: nn.Module) -> tuple[nn.Module, str]:
    """(encoder, prefix of its names inside `model`, "" or ending in ".")."""
    backbone = backbone_of(model)
    if backbone is model:
        return model, ""
    for name, module in model.named_modules():
        if module is backbone:
            return backbone, name + "."
    raise IncompatibleModelError(f"{type(model).__name__}: its encoder is not one of its modules")


def head_parameters(model: nn.Module) -> dict[str, nn.Parameter]:
    """Parameters outside the encoder that train (the task head), named as in `model`."""
    base_ids = {id(p) for p in backbone_of(model).parameters()}
    return {n: p for n, p in model.named_parameters() if id(p) not in base_ids and p.requires_grad}


def write_new_parameters(
    params: dict[str, nn.Parameter], values: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Copy absolute `values` into `params` (what `check_new_parameters` returned, so every name
    and shape was checked before anything changed); returns the originals."""
    originals: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for name, param in params.items():
            originals[name] = param.detach().clone()
            param.copy_(values[name].to(param.device, param.dtype))
    return originals


def check_new_parameters(
    model: nn.Module, values: dict[str, torch.Tensor], skip_missing: bool
) -> dict[str, nn.Parameter]:
    """The model's parameter for each name of `values` (changes nothing).

    A name the model lacks is an IncompatibleModelError, or skipped with `skip_missing` (a task
    head when the component goes onto a bare encoder); so is a shape that differs.
    """
    params = dict(model.named_parameters(remove_duplicate=False))
    out: dict[str, nn.Parameter] = {}
    for name, value in values.items():
        param = resolve_parameter(params, name)
        if param is None:
            if skip_missing:
                continue
            raise IncompatibleModelError(
                f"parameter {name} (new, absolute) is missing from {type(model).__name__}"
            )
        if tuple(param.shape) != tuple(value.shape):
            raise IncompatibleModelError(
                f"parameter {name}: saved shape {list(value.shape)} but the model's is "
                f"{list(param.shape)}"
            )
        out[name] = param
    return out


def restore_parameters(model: nn.Module, originals: dict[str, torch.Tensor]) -> None:
    """Write back what `write_new_parameters` returned (bit for bit; in reverse order, so two
    names of one tied tensor end at the value found first)."""
    params = dict(model.named_parameters(remove_duplicate=False))
    with torch.no_grad():
        for name, saved in reversed(originals.items()):
            resolve_parameter(params, name).copy_(saved)


def content_hash(manifest: dict[str, Any], tensors: dict[str, torch.Tensor]) -> str:
    """sha256 over a component's manifest (canonical JSON) and tensors (names, dtypes, bytes):
    what the training loop's resume check records as the identity of a language component."""
    h = hashlib.sha256(canonical_json(manifest).encode())
    for name in sorted(tensors):
        t = tensors[name]
        h.update(f"{name}|{t.dtype}|{list(t.shape)}|".encode())
        h.update(tensor_bytes(t))
    return h.hexdigest()
