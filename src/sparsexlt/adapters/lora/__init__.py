"""LoRA through `peft`: settings, rank planning for a budget K, the component and the method."""

from sparsexlt.adapters.lora.component import LoraComponent, LoraFactors, load_lora
from sparsexlt.adapters.lora.config import LoraSettings
from sparsexlt.adapters.lora.method import LoraMethod

__all__ = ["LoraComponent", "LoraFactors", "LoraMethod", "LoraSettings", "load_lora"]
