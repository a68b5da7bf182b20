"""MAD-X as a `FineTuningMethod`: a language adapter (masked or causal LM) or a task adapter.

attach: find the encoder's hook sites (`layouts`), build the adapter set (bottlenecks in every
layer not left out; for a language adapter also the invertible adapter), seed it, freeze every
parameter of the model and activate the set as a component (`MadxAdapter.apply`), so the loop's
per-batch language adapters stack under it. A task adapter also trains the head densely.
export: a `MadxAdapter` holding frozen CPU copies (and, for a task, the head as absolute new
parameters). detach: deactivate and restore every `requires_grad`; the base weights never
change, so the model is bit-for-bit the base.

Task training in the MAD-X recipe: each source's language adapter is its `language_component`;
the loop applies it per micro-batch (active, frozen, run before the task adapter) and reverts it
afterwards. Checkpoints: the adapter and head tensors (`trainable_tensors`) are all the state.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sparsexlt.adapters.adapter_method import AdapterMethod
from sparsexlt.adapters.attachment import locate_backbone
from sparsexlt.adapters.madx.component import AdapterSet, MadxAdapter
from sparsexlt.adapters.madx.config import MadxSettings
from sparsexlt.adapters.madx.layouts import find_sites
from sparsexlt.errors import ConfigError, DeterministicError
from sparsexlt.util.progress import log


class MadxMethod(AdapterMethod):
    """Hyperparameters: see `MadxSettings` (reduction_factor, bottleneck, leave_out, …)."""

    SETTINGS = MadxSettings
    config: MadxSettings

    def __init__(self, **hyperparameters: Any):
        super().__init__(**hyperparameters)
        self.component: MadxAdapter | None = None
        self._family: str | None = None

    @property
    def adapter_count(self) -> int:
        """Trainable adapter parameters (the head not counted), once attached."""
        return 0 if self.component is None else self.component.modules.count()

    def attach(self, model: nn.Module) -> None:
        super().attach(model)
        encoder, _ = locate_backbone(model)
        sites = find_sites(encoder)
        self._family = sites.layout.family
        language = self._choose_role(model)
        modules = self._build(sites.hidden_size, sites.num_layers, language)
        modules.to(sites.device)
        self._freeze(model)
        self.component = MadxAdapter("language" if language else "task", modules)
        self.component.apply(model, check_fingerprint=False)
        self._train_head()
        log(f"madx: {self.component.role} adapter, {self.adapter_count} trainable parameters")

    def _build(self, hidden: int, num_layers: int, language: bool) -> AdapterSet:
        cfg = self.config
        leave_out = set()
        for i in cfg.leave_out or []:
            if not -num_layers <= i < num_layers:
                raise ConfigError("madx hyperparameters", [f"leave_out: no layer {i}"])
            leave_out.add(i % num_layers)
        layers = [i for i in range(num_layers) if i not in leave_out]
        if not layers:
            raise ConfigError("madx hyperparameters", ["leave_out: leaves out every layer"])
        invertible = cfg.invertible_size(hidden) if language else None
        modules = AdapterSet(hidden, cfg.bottleneck_size(hidden), layers, invertible)
        modules.reset_parameters(cfg.seed)
        return modules

    def trainable_tensors(self) -> list[nn.Parameter]:
        return list(self._component().modules.parameters()) + list(self.head.values())

    def export(self) -> MadxAdapter:
        component = self._component()
        modules = AdapterSet(
            component.modules.hidden,
            component.modules.bottleneck,
            component.modules.layer_indices,
            component.modules.invertible_bottleneck,
        )
        with torch.no_grad():
            modules.load_state_dict({k: v.cpu() for k, v in component.modules.state_dict().items()})
        modules.requires_grad_(False)
        info = self._export_info(
            architecture=self._family, reduction_factor=self.config.reduction_factor
        )
        return MadxAdapter(component.role, modules, self._exported_head(), info)

    def detach(self) -> None:
        if self.model is None or self.component is None:
            return
        self.component.revert(self.model)
        self._unfreeze(self.model)
        self.component, self.model = None, None

    def _component(self) -> MadxAdapter:
        if self.component is None:
            raise DeterministicError("madx: attach(model) first")
        return self.component
