"""What every adapter component (LoRA, MAD-X) needs to attach to a model and come off again.

- `locate_backbone(model)`: the encoder and the prefix its parameter names carry in `model`
  (`"backbone."` for a TaskModel, `"roberta."` for a Hugging Face `...ForSequenceClassification`,
  `""` for a bare encoder), so components name modules the way `model.named_parameters()` does.
- `write_new_parameters` / `restore_parameters`: a task head stored with absolute values (like
  SparseDelta's `new_parameters`), written over the model's head with the originals kept, so
  revert is bit-for-bit exact.
- `Applications`: which models a component is applied to right now, with what it must undo
  (a component may be applied to several models at once, but only once to each).
"""

from __future__ import annotations

import hashlib
import weakref
from typing import Any

import torch
from torch import nn

from sparsexlt.adapters.sparse_delta import resolve_parameter
from sparsexlt.errors import DeterministicError, IncompatibleModelError
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
    model: nn.Module, values: dict[str, torch.Tensor], skip_missing: bool
) -> dict[str, torch.Tensor]:
    """Copy absolute `values` into the model's parameters; returns the originals.

    A name the model lacks is an IncompatibleModelError, or skipped with `skip_missing` (a task
    head when the component goes onto a bare encoder).
    """
    params = dict(model.named_parameters(remove_duplicate=False))
    originals: dict[str, torch.Tensor] = {}
    with torch.no_grad():
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
            originals[name] = param.detach().clone()
            param.copy_(value.to(param.device, param.dtype))
    return originals


def restore_parameters(model: nn.Module, originals: dict[str, torch.Tensor]) -> None:
    """Write back what `write_new_parameters` returned (bit for bit)."""
    params = dict(model.named_parameters(remove_duplicate=False))
    with torch.no_grad():
        for name, saved in originals.items():
            resolve_parameter(params, name).copy_(saved)


class Applications:
    """Per-model record of an applied component: `add` on apply, `pop` on revert."""

    def __init__(self, owner: str):
        self.owner = owner
        self._entries: dict[int, tuple[weakref.ref, Any]] = {}

    def add(self, model: nn.Module, state: Any) -> None:
        self._entries[id(model)] = (weakref.ref(model), state)

    def check_not_applied(self, model: nn.Module) -> None:
        if self.is_applied(model):
            raise DeterministicError(f"{self.owner} is already applied to this model; revert first")

    def pop(self, model: nn.Module) -> Any:
        entry = self._entries.get(id(model))
        if entry is None or entry[0]() is not model:
            raise DeterministicError(f"{self.owner} is not applied to this model")
        del self._entries[id(model)]
        return entry[1]

    def is_applied(self, model: nn.Module) -> bool:
        entry = self._entries.get(id(model))
        return entry is not None and entry[0]() is model

    def __len__(self) -> int:
        return sum(1 for ref, _ in self._entries.values() if ref() is not None)


def content_hash(manifest: dict[str, Any], tensors: dict[str, torch.Tensor]) -> str:
    """sha256 over a component's manifest (canonical JSON) and tensors (names, dtypes, bytes):
    what the training loop's resume check records as the identity of a language component."""
    h = hashlib.sha256(canonical_json(manifest).encode())
    for name in sorted(tensors):
        t = tensors[name].detach().to("cpu").contiguous()
        h.update(f"{name}|{t.dtype}|{list(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
