"""Train a sparse φ while it stays merged into the model's own weights.

For each parameter p with index set idx the set keeps θ0[idx] (the originals) and a trainable
φ (an `nn.Parameter` of len(idx) values). `merge()` writes p[idx] = θ0[idx] + φ — always from
the saved originals, so repeated merges never accumulate rounding drift — and `unmerge()`
writes θ0[idx] back bit for bit. The forward pass therefore costs exactly the base model.

Gradients: p.requires_grad is set for parameters in the set only; a post-accumulate-grad hook
gathers φ.grad += p.grad[idx] and drops p.grad at once, so at most one dense parameter
gradient exists at a time, never a full-model gradient. φ.grad accumulates over micro-batches
like any leaf's; `optimizer.zero_grad()` clears it.

Switching a language delta per batch while this set is merged (overlapping indices allowed):
    lang.apply(model) → forward/backward → lang.revert(model) → optimizer.step() → set.merge()
`revert` must come before `merge`: the language delta saved the task-merged values when it was
applied, and restores exactly those; merging first would be overwritten by that restore.

Changing the index set later (`set_indices`) keeps each φ `Parameter` object (so optimizer
param groups stay valid) but changes its length. Optimizer state keyed by that Parameter
(e.g. Adam's exp_avg) must then be remapped by the caller with
`remap_values(old_idx, old_state, new_idx)` — values of surviving indices carry over, new ones
start at `fill`.

Extensible: subclasses may replace `_gather_grad` (e.g. a Linear-specific backward that
computes only the needed gradient entries) without touching merge/unmerge bookkeeping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from sparsexlt.adapters.sparse_delta import DeltaInfo, SparseDelta, add_wide


class SparseParameterSet:
    """φ over selected entries of `model`'s parameters, merged in place (see module doc)."""

    def __init__(
        self,
        model: nn.Module,
        indices: Mapping[str, torch.Tensor],
        values: Mapping[str, torch.Tensor] | None = None,
        dtype: torch.dtype = torch.float32,
    ):
        self.model = model
        self.dtype = dtype
        self._params = dict(model.named_parameters())
        self.indices: dict[str, torch.Tensor] = {}
        self.originals: dict[str, torch.Tensor] = {}
        self.values: dict[str, nn.Parameter] = {}
        self._hooks: dict[str, Any] = {}
        self._requires_grad_before: dict[str, bool] = {}
        for name, idx in indices.items():
            self.set_indices(name, idx, None if values is None else values.get(name))

    # ---- the public contract -----------------------------------------------------------
    def trainable_tensors(self) -> list[nn.Parameter]:
        return list(self.values.values())

    @torch.no_grad()
    def merge(self) -> None:
        """p[idx] = θ0[idx] + φ for every parameter (call after each optimizer step)."""
        for name in self.indices:
            self._merge_one(name)

    @torch.no_grad()
    def unmerge(self) -> None:
        """p[idx] = θ0[idx]: the model is its base again, bit for bit."""
        for name, idx in self.indices.items():
            _flat(self._params[name])[idx] = self.originals[name]

    def detach(self) -> None:
        """Unmerge, remove hooks, restore requires_grad flags; the set is unusable afterwards."""
        self.unmerge()
        for name in list(self._hooks):
            self._hooks.pop(name).remove()
        for name, flag in self._requires_grad_before.items():
            self._params[name].requires_grad_(flag)

    @torch.no_grad()
    def set_indices(
        self, name: str, new_idx: torch.Tensor, new_values: torch.Tensor | None = None
    ) -> None:
        """Replace the entries of `name`: restore the old originals, save the new ones, merge.

        `new_values` default: φ carried over for indices kept, 0 for new ones. The φ Parameter
        object is kept (its data replaced); see the module doc on optimizer state.
        """
        if name not in self._params:
            raise KeyError(f"parameter {name} not in the model")
        param = self._params[name]
        new_idx = new_idx.to(param.device, torch.long).reshape(-1)
        if new_values is not None:
            new_idx, order = torch.sort(new_idx)
            new_values = new_values.reshape(-1)[order.to(new_values.device)]
        else:
            new_idx = torch.sort(new_idx).values
        if new_idx.numel() > 1 and not bool((new_idx[1:] > new_idx[:-1]).all()):
            raise ValueError(f"parameter {name}: duplicate indices")
        if new_idx.numel() and (int(new_idx[0]) < 0 or int(new_idx[-1]) >= param.numel()):
            raise ValueError(f"parameter {name}: index out of range [0, {param.numel()})")
        if new_values is None:
            old_idx = self.indices.get(name, new_idx[:0])
            old_phi = self.values[name].data if name in self.values else None
            new_values = remap_values(old_idx, old_phi, new_idx, dtype=self.dtype)
        flat = _flat(param)
        if name in self.indices:
            flat[self.indices[name]] = self.originals[name]
        self.indices[name] = new_idx
        self.originals[name] = flat[new_idx].clone()
        data = new_values.to(param.device, self.dtype).clone()
        if name in self.values:
            self.values[name].data = data
            self.values[name].grad = None
        else:
            self.values[name] = nn.Parameter(data)
        self._track(name, param)
        self._merge_one(name)

    def to_delta(self, info: DeltaInfo | None = None) -> SparseDelta:
        """φ as a SparseDelta named like the model's parameters."""
        names = [n for n, idx in self.indices.items() if idx.numel()]
        sparse = {n: (self.indices[n], self.values[n].detach()) for n in names}
        shapes = {n: tuple(self._params[n].shape) for n in names}
        return SparseDelta(sparse, {}, shapes, (), info)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Flat tensors, safetensors-ready: `<name>.indices`, `<name>.values` (θ0 not included:
        load into a model whose weights are the base)."""
        state = {}
        for name, idx in self.indices.items():
            state[f"{name}.indices"] = idx.cpu()
            state[f"{name}.values"] = self.values[name].detach().cpu()
        return state

    def load_state_dict(self, state: Mapping[str, torch.Tensor]) -> None:
        names = {k.removesuffix(".indices") for k in state if k.endswith(".indices")}
        for name in list(self.indices):
            if name not in names:
                self.set_indices(name, self.indices[name][:0])
        for name in names:
            self.set_indices(name, state[f"{name}.indices"], state[f"{name}.values"])

    # ---- internals ---------------------------------------------------------------------
    def _merge_one(self, name: str) -> None:
        idx = self.indices[name]
        with torch.no_grad():
            _flat(self._params[name])[idx] = add_wide(self.originals[name], self.values[name].data)

    def _track(self, name: str, param: nn.Parameter) -> None:
        """requires_grad + hook while the parameter has entries; none when it has none."""
        self._requires_grad_before.setdefault(name, param.requires_grad)
        active = self.indices[name].numel() > 0
        param.requires_grad_(active)
        if active and name not in self._hooks:
            self._hooks[name] = param.register_post_accumulate_grad_hook(self._hook_for(name))
        elif not active and name in self._hooks:
            self._hooks.pop(name).remove()

    def _hook_for(self, name: str):
        def hook(param: torch.Tensor) -> None:
            self._gather_grad(name, param.grad)
            param.grad = None

        return hook

    def _gather_grad(self, name: str, dense_grad: torch.Tensor) -> None:
        """φ.grad += dense_grad[idx] (override for cheaper gradient paths)."""
        phi = self.values[name]
        g = dense_grad.reshape(-1).index_select(0, self.indices[name]).to(phi.dtype)
        if phi.grad is None:
            phi.grad = g
        else:
            phi.grad.add_(g)


def remap_values(
    old_idx: torch.Tensor,
    old_values: torch.Tensor | None,
    new_idx: torch.Tensor,
    fill: float = 0.0,
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Values for `new_idx` (sorted): carried over where the index was in sorted `old_idx`,
    `fill` elsewhere. Use it to remap optimizer state after `set_indices`."""
    dtype = dtype or (old_values.dtype if old_values is not None else torch.float32)
    device = new_idx.device
    out = torch.full((new_idx.numel(),), fill, dtype=dtype, device=device)
    if old_values is None or old_idx.numel() == 0 or new_idx.numel() == 0:
        return out
    old_idx = old_idx.to(device)
    pos = torch.searchsorted(old_idx, new_idx).clamp_(max=old_idx.numel() - 1)
    kept = old_idx[pos] == new_idx
    out[kept] = old_values.to(device, dtype)[pos[kept]]
    return out


def _flat(param: torch.Tensor) -> torch.Tensor:
    return param.data.view(-1)
