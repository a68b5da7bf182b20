"""What every adapter method (LoRA, MAD-X) does the same way while training: one base class.

`AdapterMethod` holds the settings (its `SETTINGS` class parses the hyperparameters), decides
between a language and a task component, keeps the head that trains densely for a task,
freezes the model and restores every `requires_grad` on detach, and fills the manifest fields
every adapter records. A subclass says what it adds to the model and how it exports.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, ClassVar

import torch
from torch import nn

from sparsexlt.adapters.adapter_settings import AdapterSettings
from sparsexlt.adapters.attachment import MASKED_LM, head_parameters
from sparsexlt.adapters.base import FineTuningMethod
from sparsexlt.adapters.sparse_delta import remember_base_fingerprint


class AdapterMethod(FineTuningMethod):
    """Base of `LoraMethod` and `MadxMethod`."""

    SETTINGS: ClassVar[type[AdapterSettings]]

    def __init__(self, **hyperparameters: Any):
        super().__init__(**hyperparameters)
        self.config = self.SETTINGS.from_hparams(hyperparameters)
        self.head: dict[str, nn.Parameter] = {}
        self._flags: dict[int, bool] = {}
        self._fingerprint: str | None = None

    def _choose_role(self, model: nn.Module) -> bool:
        """Record the base fingerprint; True for a language component, else keep the head."""
        self._fingerprint = remember_base_fingerprint(model)
        language = self.config.language_sft
        if language is None:  # decide from the model: a masked-LM model trains a language
            language = getattr(model, "task_type", None) == MASKED_LM
        self.head = {} if language else head_parameters(model)
        return language

    def _freeze(self, model: nn.Module) -> None:
        """Turn off every `requires_grad`, recording the flags that `_unfreeze` restores."""
        self._flags = {id(p): p.requires_grad for p in model.parameters()}
        for p in model.parameters():
            p.requires_grad_(False)

    def _train_head(self) -> None:
        for p in self.head.values():
            p.requires_grad_(True)

    def _unfreeze(self, model: nn.Module) -> None:
        for p in model.parameters():
            p.requires_grad_(self._flags.get(id(p), p.requires_grad))

    def _exported_head(self) -> dict[str, torch.Tensor]:
        """CPU copies: an exported head must not alias the training model's tensors."""
        return {n: p.detach().to("cpu", copy=True) for n, p in self.head.items()}

    def _export_info(self, **fields: Any) -> dict[str, Any]:
        """Manifest fields: base, task, language, the method's `fields` and its settings."""
        cfg = self.config
        return {
            "base_model": cfg.base_model,
            "base_fingerprint": self._fingerprint,
            "task": cfg.task,
            "language": cfg.language,
            **fields,
            "training_config": asdict(cfg),
        }
