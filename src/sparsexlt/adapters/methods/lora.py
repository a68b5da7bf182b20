"""Register `lora` (the implementation: `adapters.lora`): LoRA through peft, the baseline."""

from __future__ import annotations

from sparsexlt.adapters.lora.component import load_lora
from sparsexlt.adapters.lora.method import LoraMethod
from sparsexlt.adapters.registry import register_method


@register_method("lora", loader=load_lora)
class Lora(LoraMethod):
    """LoRA on every Linear of the encoder (or `target_modules`); rank `r` or budget `k`."""
