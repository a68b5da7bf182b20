"""`full`: every parameter trains. The reference the sparse methods are measured against.

"Every parameter" means every parameter the model leaves trainable: a parameter the model itself
freezes (`requires_grad=False` at `attach`, e.g. the masked-LM head's decoder, frozen by design)
stays frozen and is not exported.

Its export is a dense `SparseDelta`: parameters of the base encoder (`backbone_of(model)`: a
TaskModel's `backbone`, a Hugging Face model's `base_model`) as `.dense` differences θ1 − θ0,
every other parameter (the task head) as an absolute new parameter. θ0 is copied to the CPU at
`attach`, which is what `export` subtracts and what `detach` restores.

Optimizer: AdamW with weight decay on matrices only (biases and norm weights, the 1-D
parameters, are not decayed — the usual practice for transformers).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sparsexlt.adapters.base import FineTuningMethod
from sparsexlt.adapters.registry import register_method
from sparsexlt.adapters.sparse_delta import (
    DeltaInfo,
    SparseDelta,
    load_sparse_delta,
    remember_base_fingerprint,
)
from sparsexlt.errors import ConfigError
from sparsexlt.models.fingerprint import backbone_of


@register_method("full", loader=load_sparse_delta)
class FullFineTuning(FineTuningMethod):
    """Hyperparameters: none."""

    def __init__(self, **hyperparameters: Any):
        if hyperparameters:
            problems = [f"{name}: unknown option (full has none)" for name in hyperparameters]
            raise ConfigError("full hyperparameters", problems)
        super().__init__()

    def attach(self, model: nn.Module) -> None:
        super().attach(model)
        self._fingerprint = remember_base_fingerprint(model)
        base_names = _base_parameter_names(model)
        trained = {n: p for n, p in model.named_parameters() if p.requires_grad}
        if not trained:
            raise ValueError("full: the model has no trainable parameter (all are frozen)")
        self._names = list(trained)
        self._new = [n for n in self._names if n not in base_names]
        self._theta0 = {n: p.detach().to("cpu", copy=True) for n, p in trained.items()}

    def trainable_tensors(self) -> list[nn.Parameter]:
        params = dict(self._model().named_parameters())
        return [params[n] for n in self._names]

    def build_optimizer(self, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
        params = self.trainable_tensors()
        groups = [
            {"params": [p for p in params if p.dim() > 1], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() <= 1], "weight_decay": 0.0},
        ]
        return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr)

    def export(self) -> SparseDelta:
        dense = {}
        for name, p in zip(self._names, self.trainable_tensors(), strict=True):
            current = p.detach().to("cpu", torch.float32)
            if name in self._new:
                dense[name] = current.clone()
            else:
                dense[name] = current - self._theta0[name].to(torch.float32)
        info = DeltaInfo(method="full", base_fingerprint=self._fingerprint)
        return SparseDelta(dense=dense, new_parameters=self._new, info=info)

    def detach(self) -> None:
        """Write θ0 back into every trained parameter (bit for bit)."""
        with torch.no_grad():
            for name, p in zip(self._names, self.trainable_tensors(), strict=True):
                p.copy_(self._theta0[name].to(p.device))
        self.model = None

    def _model(self) -> nn.Module:
        if self.model is None:
            raise RuntimeError("full: attach(model) first")
        return self.model


def _base_parameter_names(model: nn.Module) -> set[str]:
    """Names (as in `model.named_parameters()`) of the parameters that belong to the base encoder."""
    base = backbone_of(model)
    if base is model:
        return {n for n, _ in model.named_parameters()}
    base_ids = {id(p) for p in base.parameters()}
    return {n for n, p in model.named_parameters() if id(p) in base_ids}
