"""Putting peft LoRA layers into an encoder and taking them out again.

`peft.inject_adapter_in_model` replaces each targeted Linear in place with a peft `LoraLayer`
that wraps it, so while LoRA layers are in, the wrapped weight is named `<module>.base_layer.weight`
(every other name, the head's included, is unchanged). `remove_lora` puts the original Linear
objects back, so afterwards the names and values are exactly the base model's.

Several adapters (a language LoRA and a task LoRA, unmerged) may live in one layer; peft makes
only the newest one active after each injection, so `_activate_all` re-activates every adapter
of every layer and restores which adapter parameters train (peft's `set_adapter` would mark all
of them trainable).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import peft
import torch
from peft.tuners.lora import LoraLayer
from torch import nn

from sparsexlt.errors import DeterministicError

TRAIN_ADAPTER = "sparsexlt_train"


@dataclass(frozen=True)
class LoraPlan:
    """One Linear to wrap: name inside the encoder, rank, alpha (scale = alpha / rank)."""

    name: str
    rank: int
    alpha: float


def inject_lora(
    backbone: nn.Module,
    plans: list[LoraPlan],
    adapter_name: str,
    *,
    dropout: float = 0.0,
    seed: int = 0,
    trainable: bool = True,
) -> dict[str, LoraLayer]:
    """Wrap the planned Linears with an adapter called `adapter_name`; {name: LoraLayer}.

    A is initialised under `seed` (without touching the global RNG), B is zero. The adapter's
    parameters train when `trainable`; every other parameter keeps its `requires_grad`.
    """
    flags = {id(p): p.requires_grad for p in backbone.parameters()}
    config = peft.LoraConfig(
        r=plans[0].rank,
        lora_alpha=plans[0].alpha,
        lora_dropout=dropout,
        target_modules=[p.name for p in plans],
        rank_pattern={re.escape(p.name): p.rank for p in plans},
        alpha_pattern={re.escape(p.name): p.alpha for p in plans},
        bias="none",
    )
    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*peft_config.*")
        torch.manual_seed(seed)
        peft.inject_adapter_in_model(config, backbone, adapter_name=adapter_name)
    layers = {p.name: backbone.get_submodule(p.name) for p in plans}
    for plan in plans:
        layer = layers[plan.name]
        if not isinstance(layer, LoraLayer) or layer.r.get(adapter_name) != plan.rank:
            raise DeterministicError(f"lora: peft did not wrap {plan.name} with rank {plan.rank}")
    _activate_all(backbone, flags)
    for layer in layers.values():
        for param in _adapter_parameters(layer, adapter_name):
            param.requires_grad_(trainable)
    return layers


def remove_lora(backbone: nn.Module, adapter_name: str) -> None:
    """Delete `adapter_name` from every layer; unwrap layers left without any adapter."""
    flags = {id(p): p.requires_grad for p in backbone.parameters()}
    for name, layer in list(lora_layers(backbone).items()):
        if adapter_name not in layer.lora_A:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer.delete_adapter(adapter_name)
        if not layer.lora_A:
            parent, _, child = name.rpartition(".")
            owner = backbone.get_submodule(parent) if parent else backbone
            setattr(owner, child, layer.get_base_layer())
    configs = getattr(backbone, "peft_config", None)
    if isinstance(configs, dict):
        configs.pop(adapter_name, None)
        if not configs:
            del backbone.peft_config
    _activate_all(backbone, flags)


def lora_layers(backbone: nn.Module) -> dict[str, LoraLayer]:
    return {n: m for n, m in backbone.named_modules() if isinstance(m, LoraLayer)}


def base_linear(module: nn.Module) -> nn.Module:
    """The Linear that holds the base weight: the module itself, or what a LoraLayer wraps."""
    return module.get_base_layer() if isinstance(module, LoraLayer) else module


def factors(layer: LoraLayer, adapter_name: str) -> tuple[nn.Parameter, nn.Parameter, float]:
    """(A: r×in, B: out×r, scale) of one adapter in one layer."""
    return (
        layer.lora_A[adapter_name].weight,
        layer.lora_B[adapter_name].weight,
        float(layer.scaling[adapter_name]),
    )


def _adapter_parameters(layer: LoraLayer, adapter_name: str) -> list[nn.Parameter]:
    return [layer.lora_A[adapter_name].weight, layer.lora_B[adapter_name].weight]


def _activate_all(backbone: nn.Module, flags: dict[int, bool]) -> None:
    """Every adapter of every layer active; `requires_grad` as in `flags` (by parameter id:
    names change when layers are wrapped or unwrapped)."""
    for layer in lora_layers(backbone).values():
        layer.set_adapter(sorted(layer.lora_A))
    for param in backbone.parameters():
        if id(param) in flags:
            param.requires_grad_(flags[id(param)])
