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

from dataclasses import asdict
from typing import Any

from torch import nn

from sparsexlt.adapters.attachment import head_parameters, locate_backbone
from sparsexlt.adapters.base import FineTuningMethod
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
from sparsexlt.adapters.sparse_delta import remember_base_fingerprint
from sparsexlt.errors import DeterministicError
from sparsexlt.util.progress import log

MASKED_LM = "masked-lm"  # models.task_types; adapters import models for fingerprints only


class LoraMethod(FineTuningMethod):
    """Hyperparameters: see `LoraSettings` (r, alpha, dropout, target_modules, k, …)."""

    def __init__(self, **hyperparameters: Any):
        super().__init__(**hyperparameters)
        self.config = LoraSettings.from_hparams(hyperparameters)
        self._targets: list[rank_plan.LoraTarget] = []
        self.plans: list[LoraPlan] = []
        self.layers: dict[str, nn.Module] = {}
        self.head: dict[str, nn.Parameter] = {}
        self.k_requested: int | None = None
        self._flags: dict[int, bool] = {}
        self._fingerprint: str | None = None

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
        self._fingerprint = remember_base_fingerprint(model)
        self._flags = {id(p): p.requires_grad for p in model.parameters()}
        language = self._is_language(model)
        self.head = {} if language else head_parameters(model)
        self._targets = rank_plan.find_targets(backbone, self.config.target_modules)
        self.plans = self._plan(backbone)
        for p in model.parameters():
            p.requires_grad_(False)
        cfg = self.config
        self.layers = inject_lora(
            backbone, self.plans, TRAIN_ADAPTER, dropout=cfg.dropout, seed=cfg.seed
        )
        for p in self.head.values():
            p.requires_grad_(True)
        requested = "" if self.k_requested is None else f" (k requested {self.k_requested})"
        log(f"lora: {len(self.plans)} matrices, {self.lora_count} trainable entries{requested}")

    def _is_language(self, model: nn.Module) -> bool:
        if self.config.language_sft is not None:
            return self.config.language_sft
        return getattr(model, "task_type", None) == MASKED_LM

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
        head = {n: p.detach().to("cpu", copy=True) for n, p in self.head.items()}
        cfg = self.config
        info = {
            "base_model": cfg.base_model,
            "base_fingerprint": self._fingerprint,
            "task": cfg.task,
            "language": cfg.language,
            "alpha": cfg.alpha,
            "k_requested": self.k_requested,
            "language_sft": not self.head,
            "training_config": asdict(cfg),
        }
        return LoraComponent(out, head, info)

    def detach(self) -> None:
        if self.model is None:
            return
        backbone, _ = locate_backbone(self.model)
        remove_lora(backbone, TRAIN_ADAPTER)
        for p in self.model.parameters():
            p.requires_grad_(self._flags.get(id(p), p.requires_grad))
        self.layers, self.model = {}, None

    def state_dict(self) -> dict[str, Any]:
        return {"ranks": {p.name: p.rank for p in self.plans}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        ours = {p.name: p.rank for p in self.plans}
        if state.get("ranks") != ours:
            raise DeterministicError("lora: the checkpoint was trained with other ranks/targets")
