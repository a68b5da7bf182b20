"""A trained LoRA as a component: apply (merged or not), revert bit-exactly, save, load.

`apply(model)` merges W ← W + (alpha/r)·B·A into each adapted Linear (computed in float32,
written in the weight's dtype) and keeps the originals, so `revert` restores them bit for bit and
the merged model runs exactly as fast as the base. `apply(model, merged=False)` instead wraps the
Linears with peft LoRA layers holding A and B (the "unmerged LoRA" of the inference-speed
benchmark); revert unwraps them. A task component also writes its head, stored with absolute
values (`new_parameters`), keeping the originals.

Composition is additive: a language and a task LoRA are both merged (either order; revert in
reverse order of apply). Modules are named relative to the encoder (`encoder.layer.0.…query`),
so one file applies to a TaskModel, a bare encoder or a Hugging Face model with a head alike.

Files (`adapter_format`): tensors `<module>.lora_A` (r×in), `<module>.lora_B` (out×r) and
`<param>.dense` (new parameters); manifest fields beyond the common ones: `modules`
({module: {rank, alpha, in, out}}), `r` (the largest rank), `alpha` (null = 2·rank), `targets`,
`k` (the LoRA entry count Σ r·(in+out)), `k_requested`, `language_sft`, `base_model`, `task`,
`language`, `training_config`, `peft_version`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peft
import torch
from torch import nn

from sparsexlt import __version__
from sparsexlt.adapters import adapter_format
from sparsexlt.adapters.adapter_component import AdapterComponent, loaded_info
from sparsexlt.adapters.attachment import (
    check_new_parameters,
    locate_backbone,
    restore_parameters,
    write_new_parameters,
)
from sparsexlt.adapters.lora.injection import LoraPlan, base_linear, inject_lora, remove_lora
from sparsexlt.adapters.sparse_delta import (
    add_wide,
    check_base_fingerprint,
    remember_base_fingerprint,
)
from sparsexlt.errors import DataFormatError, IncompatibleModelError

METHOD = "lora"
# manifest fields recomputed from the tensors on save, so not kept in `info`
DERIVED_FIELDS = frozenset(
    ("format", "format_version", "method", "modules", "targets", "r", "k", "new_parameters")
)
_names = itertools.count()


@dataclass
class LoraFactors:
    """One adapted Linear: A (r×in), B (out×r) and alpha; the update is (alpha/r)·B·A."""

    a: torch.Tensor
    b: torch.Tensor
    alpha: float

    @property
    def rank(self) -> int:
        return int(self.a.shape[0])

    @property
    def scale(self) -> float:
        return self.alpha / self.rank

    def delta(self) -> torch.Tensor:
        """(alpha/r)·B·A in float32, shape (out, in)."""
        return (self.b.float() @ self.a.float()) * self.scale


class LoraComponent(AdapterComponent):
    """{module: LoraFactors} + absolute new parameters + the manifest's descriptive fields."""

    method = METHOD

    def __init__(
        self,
        factors: dict[str, LoraFactors],
        new_parameters: dict[str, torch.Tensor] | None = None,
        info: dict[str, Any] | None = None,
    ):
        self.factors = factors
        self._init_shared(new_parameters, info)

    @property
    def k(self) -> int:
        """LoRA entries: Σ r·(in + out)."""
        return sum(f.a.numel() + f.b.numel() for f in self.factors.values())

    def __repr__(self) -> str:
        ranks = sorted({f.rank for f in self.factors.values()})
        return f"LoraComponent(modules={len(self.factors)}, ranks={ranks}, k={self.k})"

    # ---- apply / revert --------------------------------------------------------------------
    def apply(
        self,
        model: nn.Module,
        merged: bool = True,
        check_fingerprint: bool = True,
        skip_new_parameters: bool = False,
    ) -> None:
        """Merge (or, `merged=False`, inject) the LoRA into `model` and write the head.

        IncompatibleModelError on a base-fingerprint mismatch, a missing / mis-shaped module or
        head parameter, or (merged) a quantised weight — all checked before anything changes, so
        a refused apply leaves the model as it was. `skip_new_parameters` leaves out a head the
        model does not have (a bare encoder).
        """
        self._applied.check_not_applied(model)
        remember_base_fingerprint(model)
        if check_fingerprint:
            check_base_fingerprint(model, self.base_fingerprint)
        backbone, _ = locate_backbone(model)
        linears = {name: self._linear(backbone, name, merged) for name in self.factors}
        head_params = check_new_parameters(model, self.new_parameters, skip_new_parameters)
        if merged:
            undo: Any = ("merged", self._merge(linears))
        else:
            undo = ("unmerged", self._inject(backbone))
        head = write_new_parameters(head_params, self.new_parameters)
        self._applied.add(model, (undo, head))

    def revert(self, model: nn.Module) -> None:
        """Exactly the weights (or modules) `apply` found."""
        (mode, saved), head = self._applied.pop(model)
        backbone, _ = locate_backbone(model)
        if mode == "merged":
            with torch.no_grad():
                for name, original in saved.items():
                    base_linear(backbone.get_submodule(name)).weight.copy_(original)
        else:
            remove_lora(backbone, saved)
        restore_parameters(model, head)

    def _linear(self, backbone: nn.Module, name: str, merged: bool) -> nn.Module:
        try:
            linear = base_linear(backbone.get_submodule(name))
        except AttributeError:
            raise IncompatibleModelError(
                f"lora: module {name} is missing from {type(backbone).__name__}"
            ) from None
        f = self.factors[name]
        shape = (int(f.b.shape[0]), int(f.a.shape[1]))
        if tuple(linear.weight.shape) != shape and not _is_quantized(linear.weight):
            raise IncompatibleModelError(
                f"lora: module {name} has weight {list(linear.weight.shape)}, the LoRA expects "
                f"{list(shape)}"
            )
        if merged and _is_quantized(linear.weight):
            raise IncompatibleModelError(
                f"lora: {name} is quantised; merging needs float weights "
                "(apply with merged=False instead)"
            )
        return linear

    def _merge(self, linears: dict[str, nn.Module]) -> dict[str, torch.Tensor]:
        originals = {}
        with torch.no_grad():
            for name, linear in linears.items():
                weight = linear.weight
                originals[name] = weight.detach().clone()
                delta = self.factors[name].delta().to(weight.device)
                weight.copy_(add_wide(originals[name], delta))
        return originals

    def _inject(self, backbone: nn.Module) -> str:
        adapter = f"sparsexlt_{next(_names)}"
        plans = [LoraPlan(n, f.rank, f.alpha) for n, f in self.factors.items()]
        layers = inject_lora(backbone, plans, adapter, trainable=False)
        with torch.no_grad():
            for name, f in self.factors.items():
                layer = layers[name]
                a, b = layer.lora_A[adapter].weight, layer.lora_B[adapter].weight
                a.copy_(f.a.to(a.device, a.dtype))
                b.copy_(f.b.to(b.device, b.dtype))
        return adapter

    # ---- moving, identity, files -------------------------------------------------------------
    def to(self, device: torch.device | str) -> LoraComponent:
        """Move the tensors (once, before training), so no step copies them."""
        for f in self.factors.values():
            f.a, f.b = f.a.to(device), f.b.to(device)
        self.new_parameters = {n: t.to(device) for n, t in self.new_parameters.items()}
        return self

    def tensors(self) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        for name, f in self.factors.items():
            out[f"{name}.lora_A"], out[f"{name}.lora_B"] = f.a, f.b
        return {**out, **adapter_format.dense_keys(self.new_parameters)}

    def manifest(self) -> dict[str, Any]:
        modules = {
            n: {"rank": f.rank, "alpha": f.alpha, "in": int(f.a.shape[1]), "out": int(f.b.shape[0])}
            for n, f in self.factors.items()
        }
        return {
            "library_version": __version__,
            "peft_version": peft.__version__,
            **self.info,
            "method": METHOD,
            "modules": modules,
            "targets": list(self.factors),
            "r": max((f.rank for f in self.factors.values()), default=0),
            "k": self.k,
            "new_parameters": sorted(self.new_parameters),
        }

    @classmethod
    def load(cls, directory: str | Path) -> LoraComponent:
        manifest, tensors = adapter_format.read_adapter(directory, METHOD)
        path = Path(directory) / adapter_format.TENSORS_FILE
        factors = {}
        for name, spec in manifest.get("modules", {}).items():
            a, b = tensors.get(f"{name}.lora_A"), tensors.get(f"{name}.lora_B")
            rank = spec.get("rank")
            if a is None or b is None or a.shape[0] != rank or b.shape[1] != rank:
                raise DataFormatError(path, None, f"module {name}: A/B missing or not rank {rank}")
            factors[name] = LoraFactors(a, b, float(spec["alpha"]))
        info, new = loaded_info(manifest, tensors, DERIVED_FIELDS)
        return cls(factors, new, info)


def load_lora(directory: str | Path) -> LoraComponent:
    """The registry loader for `method: lora`."""
    return LoraComponent.load(directory)


def _is_quantized(weight: torch.Tensor) -> bool:
    return getattr(weight, "quant_state", None) is not None or not weight.is_floating_point()
