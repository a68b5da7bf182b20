"""A MAD-X adapter set as a component: a language adapter or a task adapter.

`apply(model)` activates the adapters on the model's encoder (see `stack`: hooks, no parameter
of the model changes) and, for a task adapter, writes the head (absolute `new_parameters`,
originals kept). `revert` deactivates them and restores the head, so the model is bit-for-bit
the base again. Composition is stacking: `apply(language)` and `apply(task)`, in either order,
run language → task. The adapters stay resident in memory: a multi-source task run swaps the
language adapter per batch by activating another object, never by reloading one.

A language adapter applied to a language model (a MaskedLMModel, a Hugging Face `...ForMaskedLM`,
or a causal LM with an `lm_head`) also inverts its invertible adapter before the LM head, as in
MAD-X's language training; `invert_before_head` overrides that choice.

Files (`adapter_format`): tensors `madx.<key>` (the `AdapterSet` state dict: `layers.<N>.down.*`,
`layers.<N>.up.*`, `invertible.F.*`, `invertible.G.*`) and `<param>.dense` (the head); manifest
fields beyond the common ones: `role` (language | task), `hidden`, `bottleneck`, `layers` (layer
indices with an adapter), `invertible_bottleneck` (null for a task adapter), `parameters` (the
adapter parameter count), `base_model`, `task`, `language`, `training_config`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from sparsexlt import __version__
from sparsexlt.adapters import adapter_format
from sparsexlt.adapters.adapter_component import AdapterComponent, loaded_info
from sparsexlt.adapters.attachment import (
    MASKED_LM,
    check_new_parameters,
    locate_backbone,
    restore_parameters,
    write_new_parameters,
)
from sparsexlt.adapters.madx.bottleneck import Bottleneck
from sparsexlt.adapters.madx.invertible import InvertibleAdapter
from sparsexlt.adapters.madx.stack import ROLES, AdapterStack
from sparsexlt.adapters.sparse_delta import check_base_fingerprint, remember_base_fingerprint
from sparsexlt.errors import DataFormatError, IncompatibleModelError

METHOD = "madx"
PREFIX = "madx."
MLM_HEADS = ("lm_head", "cls", "vocab_transform")  # XLM-R, RoBERTa, causal LMs; BERT; DistilBERT
STRUCTURE_FIELDS = ("role", "hidden", "bottleneck", "layers", "invertible_bottleneck")
DERIVED_FIELDS = frozenset(
    ("format", "format_version", "method", "parameters", "new_parameters", *STRUCTURE_FIELDS)
)


class AdapterSet(nn.Module):
    """Bottleneck adapters for some layers (keyed by layer index) + an optional invertible one."""

    def __init__(
        self,
        hidden: int,
        bottleneck: int,
        layer_indices: list[int],
        invertible_bottleneck: int | None = None,
    ):
        super().__init__()
        self.hidden, self.bottleneck = hidden, bottleneck
        self.layer_indices = sorted(layer_indices)
        self.layers = nn.ModuleDict({str(i): Bottleneck(hidden, bottleneck) for i in layer_indices})
        self.invertible_bottleneck = invertible_bottleneck
        self.invertible = (
            InvertibleAdapter(hidden, invertible_bottleneck) if invertible_bottleneck else None
        )

    @property
    def dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def count(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def reset_parameters(self, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        for index in self.layer_indices:
            self.layers[str(index)].reset_parameters(generator)
        if self.invertible is not None:
            self.invertible.reset_parameters(generator)


class MadxAdapter(AdapterComponent):
    """A language or task adapter set, its head (task) and the manifest's descriptive fields."""

    method = METHOD

    def __init__(
        self,
        role: str,
        modules: AdapterSet,
        new_parameters: dict[str, torch.Tensor] | None = None,
        info: dict[str, Any] | None = None,
    ):
        if role not in ROLES:
            raise ValueError(f"madx: role must be one of {ROLES}, got {role!r}")
        self.role, self.modules = role, modules
        self._init_shared(new_parameters, info)

    def __repr__(self) -> str:
        label = self.info.get("language") or self.info.get("task")
        name = f" {label}" if label else ""
        return f"MadxAdapter({self.role}{name}, bottleneck={self.modules.bottleneck})"

    # ---- apply / revert --------------------------------------------------------------------
    def apply(
        self,
        model: nn.Module,
        check_fingerprint: bool = True,
        skip_new_parameters: bool = False,
        invert_before_head: bool | None = None,
    ) -> None:
        """Activate the adapters on `model` (stacked language → task) and write the head.

        The head's names and shapes are checked before anything changes, so a refused apply
        (IncompatibleModelError) leaves the model as it was.
        """
        self._applied.check_not_applied(model)
        remember_base_fingerprint(model)
        if check_fingerprint:
            check_base_fingerprint(model, self.base_fingerprint)
        encoder, _ = locate_backbone(model)
        head_params = check_new_parameters(model, self.new_parameters, skip_new_parameters)
        stack = AdapterStack.of(encoder, create=True)
        device = stack.sites.device
        if self.modules.device != device:
            self.modules.to(device)
        head = mlm_head(model)
        if invert_before_head is False or (invert_before_head is None and head is None):
            head = None
        elif head is None:
            raise IncompatibleModelError(
                "madx: invert_before_head=True but the model has no language-model head"
            )
        stack.push(encoder, self, head)
        try:
            originals = write_new_parameters(head_params, self.new_parameters)
        except BaseException:
            stack.remove(encoder, self)
            raise
        self._applied.add(model, originals)

    def revert(self, model: nn.Module) -> None:
        originals = self._applied.pop(model)
        encoder, _ = locate_backbone(model)
        AdapterStack.of(encoder).remove(encoder, self)
        restore_parameters(model, originals)

    # ---- moving, identity, files -------------------------------------------------------------
    def to(self, device: torch.device | str) -> MadxAdapter:
        """Move the adapters (once, before training), so no step copies them."""
        self.modules.to(device)
        self.new_parameters = {n: t.to(device) for n, t in self.new_parameters.items()}
        return self

    def tensors(self) -> dict[str, torch.Tensor]:
        state = {PREFIX + k: v for k, v in self.modules.state_dict().items()}
        return {**state, **adapter_format.dense_keys(self.new_parameters)}

    def manifest(self) -> dict[str, Any]:
        m = self.modules
        return {
            "library_version": __version__,
            **self.info,
            "method": METHOD,
            "role": self.role,
            "hidden": m.hidden,
            "bottleneck": m.bottleneck,
            "layers": m.layer_indices,
            "invertible_bottleneck": m.invertible_bottleneck,
            "parameters": m.count(),
            "new_parameters": sorted(self.new_parameters),
        }

    @classmethod
    def load(cls, directory: str | Path) -> MadxAdapter:
        manifest, tensors = adapter_format.read_adapter(directory, METHOD)
        path = Path(directory) / adapter_format.MANIFEST_FILE
        missing = [f for f in STRUCTURE_FIELDS if f not in manifest]
        if missing or manifest["role"] not in ROLES:
            raise DataFormatError(path, None, f"madx manifest: missing {missing} or bad role")
        modules = AdapterSet(
            manifest["hidden"],
            manifest["bottleneck"],
            manifest["layers"],
            manifest["invertible_bottleneck"],
        )
        state = {k[len(PREFIX) :]: v for k, v in tensors.items() if k.startswith(PREFIX)}
        try:
            modules.load_state_dict(state, strict=True)
        except RuntimeError as e:
            raise DataFormatError(
                Path(directory) / adapter_format.TENSORS_FILE, None, f"madx tensors: {e}"
            ) from None
        modules.requires_grad_(False)
        info, new = loaded_info(manifest, tensors, DERIVED_FIELDS)
        return cls(manifest["role"], modules, new, info)


def load_madx(directory: str | Path) -> MadxAdapter:
    """The registry loader for `method: madx` (language and task adapters alike)."""
    return MadxAdapter.load(directory)


def active_components(model: nn.Module) -> list[MadxAdapter]:
    """The MAD-X components active on `model`, in the order they run (language, then task)."""
    encoder, _ = locate_backbone(model)
    stack = AdapterStack.of(encoder)
    return [] if stack is None else stack.components()


def mlm_head(model: nn.Module) -> nn.Module | None:
    """The module that reads the last hidden state to predict tokens (masked or next), if any."""
    if getattr(model, "task_type", None) == MASKED_LM:
        return model.head
    for name in MLM_HEADS:
        module = getattr(model, name, None)
        if isinstance(module, nn.Module):
            return module
    return None
