"""The MAD-X adapters active on one encoder, and the hooks that run them.

An `AdapterStack` lives on the encoder as a plain attribute (not a submodule, so the encoder's
parameter names, values and fingerprint stay the base model's) while at least one MAD-X
component is applied, and goes away with the last one. It holds at most one language and one
task component and always runs them language → task, whatever order they were applied in: the
training loop applies each batch's language adapter while the task adapter being trained is
already active.

Layer l, with h the feed-forward output, x the attention output, s = h + x the norm's input and
y = LN(s) what the base layer outputs (a hook on the residual module records h; the norm's
forward hook replaces y), runs adapters 1..n (language first):

    a_0 = y,   a_i = U_i(ReLU(D_i(a_{i-1}))) + h  for i < n,   out = LN(U_n(ReLU(D_n(a_{n-1}))) + s)

so each adapter reads the previous one's output and adds the residual h, and the last result
goes through the layer's own LayerNorm with x added (MAD-X: the task adapter reads the language
adapter's output). One adapter: out = LN(U(ReLU(D(LN(h + x)))) + h + x), the Pfeiffer adapter.

A pre-norm layer (Llama family) computes r + m with m = mlp(norm(r)) and has no norm after the
block, so a forward hook on the mlp replaces m by m_n (`stacked_pre_norm`):

    m_0 = m,   m_i = m_{i-1} + U_i(ReLU(D_i(m_{i-1}))),   out = r + m_n

again language first, each adapter reading the previous one's output.

The language component's invertible adapter transforms the embedding output; when its
application asks for it (language-model training, masked or causal), a forward pre-hook on the
LM head applies the inverse to the head's input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

from sparsexlt.adapters.madx.layouts import Sites, find_sites
from sparsexlt.errors import DeterministicError, IncompatibleModelError

ATTR = "_sparsexlt_madx_stack"
ROLES = ("language", "task")


def stacked_output(
    adapters: list[nn.Module], y: torch.Tensor, h: torch.Tensor, s: torch.Tensor, norm: nn.Module
) -> torch.Tensor:
    """The formula of the module doc; `norm.forward` is called directly (no hooks re-run)."""
    a = y
    for i, adapter in enumerate(adapters):
        up = _run(adapter, a, next(adapter.parameters()).dtype)
        if i == len(adapters) - 1:
            return norm.forward(up + s)
        a = up + h
    raise ValueError("stacked_output needs at least one adapter")


def stacked_pre_norm(adapters: list[nn.Module], m: torch.Tensor) -> torch.Tensor:
    """The pre-norm formula of the module doc: each adapter adds to the previous output."""
    for adapter in adapters:
        m = m + _run(adapter, m, next(adapter.parameters()).dtype)
    return m


@dataclass
class _Entry:
    component: Any  # a MadxAdapter: .role, .modules (AdapterSet)
    head_handle: RemovableHandle | None = None


@dataclass
class AdapterStack:
    sites: Sites
    entries: dict[str, _Entry] = field(default_factory=dict)
    handles: list[RemovableHandle] = field(default_factory=list)
    residual: list[torch.Tensor | None] = field(default_factory=list)

    @classmethod
    def of(cls, encoder: nn.Module, create: bool = False) -> AdapterStack | None:
        """The encoder's stack; a new empty one (hooks not yet installed) with `create`."""
        stack = encoder.__dict__.get(ATTR)
        if stack is None and create:
            stack = cls(find_sites(encoder))
        return stack

    def components(self) -> list[Any]:
        """Active components in the order they run (language, then task)."""
        return [self.entries[r].component for r in ROLES if r in self.entries]

    def push(self, encoder: nn.Module, component: Any, head: nn.Module | None) -> None:
        """Activate `component`; with `head`, also invert its invertible adapter before it."""
        role = component.role
        if role in self.entries:
            raise DeterministicError(
                f"madx: a {role} adapter is already active on this model; revert it first "
                "(a stack holds one language and one task adapter)"
            )
        self._check_fits(component)
        entry = _Entry(component)
        if head is not None and component.modules.invertible is not None:
            entry.head_handle = head.register_forward_pre_hook(self._invert_hook(component))
        self.entries[role] = entry
        if not self.handles:
            self._install(encoder)

    def remove(self, encoder: nn.Module, component: Any) -> None:
        entry = self.entries.get(component.role)
        if entry is None or entry.component is not component:
            raise DeterministicError(f"madx: {component!r} is not active on this model")
        if entry.head_handle is not None:
            entry.head_handle.remove()
        del self.entries[component.role]
        if not self.entries:
            for handle in self.handles:
                handle.remove()
            self.handles = []
            del encoder.__dict__[ATTR]

    def _check_fits(self, component: Any) -> None:
        modules = component.modules
        too_deep = max(modules.layer_indices) >= self.sites.num_layers
        if modules.hidden != self.sites.hidden_size or too_deep:
            raise IncompatibleModelError(
                f"madx: {component!r} (hidden {modules.hidden}, layers "
                f"{modules.layer_indices}) does not fit an encoder with hidden size "
                f"{self.sites.hidden_size} and {self.sites.num_layers} layers"
            )

    def _install(self, encoder: nn.Module) -> None:
        sites = self.sites
        self.residual = [None] * sites.num_layers
        for index, residual in enumerate(sites.residuals):
            if sites.layout.pre_norm:
                self.handles.append(residual.register_forward_hook(self._pre_norm_hook(index)))
                continue
            self.handles.append(residual.register_forward_hook(self._residual_hook(index)))
            self.handles.append(sites.norms[index].register_forward_hook(self._norm_hook(index)))
        self.handles.append(sites.embeddings.register_forward_hook(self._embedding_hook))
        encoder.__dict__[ATTR] = self

    # ---- hooks -----------------------------------------------------------------------------
    def _residual_hook(self, index: int):
        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            self.residual[index] = output

        return hook

    def _layer_adapters(self, index: int) -> list[nn.Module]:
        key = str(index)
        return [c.modules.layers[key] for c in self.components() if key in c.modules.layers]

    def _pre_norm_hook(self, index: int):
        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> torch.Tensor | None:
            adapters = self._layer_adapters(index)
            return stacked_pre_norm(adapters, output) if adapters else None

        return hook

    def _norm_hook(self, index: int):
        def hook(norm: nn.Module, args: tuple, output: torch.Tensor) -> torch.Tensor | None:
            h, self.residual[index] = self.residual[index], None
            adapters = self._layer_adapters(index)
            if not adapters:
                return None
            if h is None:
                raise RuntimeError(f"madx: layer {index} ran its norm without its residual module")
            return stacked_output(adapters, output, h, args[0], norm)

        return hook

    def _embedding_hook(self, module: nn.Module, args: tuple, output: Any) -> Any:
        for component in self.components():
            invertible = component.modules.invertible
            if invertible is not None:
                if not isinstance(output, torch.Tensor):
                    raise IncompatibleModelError("madx: the embedding output is not a tensor")
                output = _run(invertible, output, component.modules.dtype)
        return output

    @staticmethod
    def _invert_hook(component: Any):
        def hook(head: nn.Module, args: tuple) -> tuple:
            modules = component.modules
            hidden = _run(modules.invertible.inverse, args[0], modules.dtype)
            return (hidden, *args[1:])

        return hook


def _run(fn: Any, x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Run an adapter in its own dtype, return the input's (a bf16 base with fp32 adapters)."""
    return fn(x.to(dtype)).to(x.dtype)
