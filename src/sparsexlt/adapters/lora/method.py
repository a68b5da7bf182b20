"""LoRA as a `FineTuningMethod`: what the one training loop drives.

attach: find the encoder's target Linears, choose ranks (from `r`, or from a budget `k`, see
`ranks`), freeze every parameter, wrap the targets with peft LoRA layers (A seeded, B = 0, so the
model starts as the base) and unfreeze A, B and — for a task — the head, which trains densely.
export: a `LoraComponent` (copies of A, B, alpha; the head as absolute new parameters).
detach: unwrap the layers and restore every `requires_grad`: the model is the base again.

While attached, each wrapped Linear's weight is named `<module>.base_layer.weight` (peft); the
head's names do not change. A LoRA language component applied per batch (merged, by the loop)
lands in that base weight, under the task LoRA being trained. (A SparseDelta, which names
`<module>.weight`, does not find it: task LoRA pairs with LoRA language components.)

Checkpoints: the trainable tensors (A, B, head) are all the state; `state_dict` holds the ranks
only, to refuse a checkpoint that was planned differently.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from sparsexlt.adapters.adapter_method import AdapterMethod
from sparsexlt.adapters.attachment import locate_backbone
from sparsexlt.adapters.lora import ranks as rank_plan
from sparsexlt.adapters.lora.component import LoraComponent, LoraFactors
from sparsexlt.adapters.lora.config import LoraSettings
from sparsexlt.adapters.lora.injection import (
    TRAIN_ADAPTER,
    LoraPlan,
    factors,
    inject_lora,
    lora_layers,
    remove_lora,
)
from sparsexlt.errors import DeterministicError
from sparsexlt.util.progress import log


class LoraMethod(AdapterMethod):
    """Hyperparameters: see `LoraSettings` (r, alpha, dropout, target_modules, k, …)."""

    SETTINGS = LoraSettings
    config: LoraSettings

    def __init__(self, **hyperparameters: Any):
        super().__init__(**hyperparameters)
        self._targets: list[rank_plan.LoraTarget] = []
        self.plans: list[LoraPlan] = []
        self.layers: dict[str, nn.Module] = {}
        self.k_requested: int | None = None

    @property
    def lora_count(self) -> int:
        """Trainable LoRA entries Σ r·(in + out) (the head not counted), once attached."""
        units = {t.name: t.unit for t in self._targets}
        return sum(p.rank * units[p.name] for p in self.plans)

    def attach(self, model: nn.Module) -> None:
        super().attach(model)
        backbone, _ = locate_backbone(model)
        if lora_layers(backbone):
            raise DeterministicError("lora: the model already holds LoRA layers; revert them first")
        self._choose_role(model)
        self._targets = rank_plan.find_targets(backbone, self.config.target_modules)
        self.plans = self._plan(backbone)
        self._freeze(model)
        cfg = self.config
        self.layers = inject_lora(
            backbone, self.plans, TRAIN_ADAPTER, dropout=cfg.dropout, seed=cfg.seed
        )
        self._train_head()
        requested = "" if self.k_requested is None else f" (k requested {self.k_requested})"
        log(f"lora: {len(self.plans)} matrices, {self.lora_count} trainable entries{requested}")

    def _plan(self, backbone: nn.Module) -> list[LoraPlan]:
        targets, cfg = self._targets, self.config
        if cfg.k is None:
            ranks = [cfg.r] * len(targets)
        else:
            self.k_requested = rank_plan.resolve_budget(cfg.k, backbone)
            ranks = rank_plan.ranks_for_budget(self.k_requested, targets)
        return [
            LoraPlan(t.name, r, cfg.alpha_for(r)) for t, r in zip(targets, ranks, strict=True) if r
        ]

    def trainable_tensors(self) -> list[nn.Parameter]:
        lora = []
        for plan in self.plans:
            a, b, _ = factors(self.layers[plan.name], TRAIN_ADAPTER)
            lora += [a, b]
        return lora + list(self.head.values())

    def export(self) -> LoraComponent:
        if not self.plans:
            raise DeterministicError("lora: attach(model) before export()")
        out = {}
        for plan in self.plans:
            a, b, _ = factors(self.layers[plan.name], TRAIN_ADAPTER)
            out[plan.name] = LoraFactors(
                a.detach().to("cpu", copy=True), b.detach().to("cpu", copy=True), plan.alpha
            )
        info = self._export_info(
            alpha=self.config.alpha, k_requested=self.k_requested, language_sft=not self.head
        )
        return LoraComponent(out, self._exported_head(), info)

    def detach(self) -> None:
        if self.model is None:
            return
        backbone, _ = locate_backbone(self.model)
        remove_lora(backbone, TRAIN_ADAPTER)
        self._unfreeze(self.model)
        self.layers, self.model = {}, None

    def state_dict(self) -> dict[str, Any]:
        return {"ranks": {p.name: p.rank for p in self.plans}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        ours = {p.name: p.rank for p in self.plans}
        if state.get("ranks") != ours:
            raise DeterministicError("lora: the checkpoint was trained with other ranks/targets")
