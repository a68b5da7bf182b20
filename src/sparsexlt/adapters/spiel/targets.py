"""Which weight matrices SpIEL trains, and how the budget K is spread over them.

A target is a module whose weight gets a sparse φ: `nn.Linear`, bitsandbytes `Linear4bit`
(the weight stays quantised) or, with `embeddings=True`, `nn.Embedding`. Modules sharing one
weight (tied embeddings) share one target. Names are those of `model.named_parameters()`, so a
TaskModel's are `backbone.…` and the export composes with any other SparseDelta.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from torch import nn

from sparsexlt.adapters.budget import parameter_count, resolve_budget
from sparsexlt.adapters.spiel.config import SpielConfig
from sparsexlt.errors import DeterministicError

HEAD_PREFIX = "head."


@dataclass
class Target:
    """One weight matrix with its (rows, cols) logical shape and the modules that use it."""

    name: str  # parameter name, e.g. "backbone.encoder.layer.0.attention.self.query.weight"
    weight: nn.Parameter
    shape: tuple[int, int]
    kind: str  # "linear" | "linear4bit" | "embedding"
    modules: list[nn.Module] = field(default_factory=list)

    @property
    def numel(self) -> int:
        return self.shape[0] * self.shape[1]


def linear4bit_class() -> type | None:
    """bitsandbytes' Linear4bit when importable (its import is slow and noisy: only on demand)."""
    try:
        import bitsandbytes as bnb
    except ImportError:  # pragma: no cover - bitsandbytes is a dependency
        return None
    return bnb.nn.Linear4bit


def find_targets(model: nn.Module, config: SpielConfig) -> list[Target]:
    """The target matrices of `model`, in module order (see module doc)."""
    root, prefix = _search_root(model)
    dense = dense_prefixes(model, config)
    q4 = _maybe_linear4bit(root)
    by_weight: dict[int, Target] = {}
    for mod_name, module in root.named_modules():
        full = prefix + mod_name
        kind = _kind(module, q4, config)
        if kind is None or any((full + ".").startswith(d) for d in dense):
            continue
        if kind != "embedding" and not _selected(mod_name, config.target_modules):
            continue
        weight = module.weight
        if id(weight) in by_weight:
            by_weight[id(weight)].modules.append(module)
            continue
        by_weight[id(weight)] = Target(
            f"{full}.weight", weight, _logical_shape(module, kind), kind, [module]
        )
    targets = list(by_weight.values())
    if not targets:
        raise DeterministicError(
            f"spiel: no target modules in {type(model).__name__} "
            f"(target_modules={config.target_modules}, embeddings={config.embeddings})"
        )
    return targets


def dense_prefixes(model: nn.Module, config: SpielConfig) -> list[str]:
    """Parameter-name prefixes trained densely (the task head by default)."""
    if config.language_sft:
        return []
    if config.dense_modules is not None:
        return [p if p.endswith(".") else p + "." for p in config.dense_modules]
    return [HEAD_PREFIX] if isinstance(getattr(model, "head", None), nn.Module) else []


def budget_base_count(model: nn.Module) -> int:
    """What a proportional k is a proportion of: the backbone's parameters (all, if none)."""
    return parameter_count(_search_root(model)[0])


def allocate(k: int, sizes: list[int]) -> list[int]:
    """Split `k` over matrices in proportion to `sizes` (largest remainder; each ≤ its size)."""
    total = sum(sizes)
    if k > total:
        raise DeterministicError(f"spiel: k={k} exceeds the {total} entries of the targets")
    raw = [k * s / total for s in sizes]
    out = [min(math.floor(r), s) for r, s in zip(raw, sizes, strict=True)]
    order = sorted(range(len(sizes)), key=lambda i: raw[i] - math.floor(raw[i]), reverse=True)
    left = k - sum(out)
    while left > 0:
        for i in order:
            if left and out[i] < sizes[i]:
                out[i] += 1
                left -= 1
    return out


def resolve_k(model: nn.Module, config: SpielConfig) -> int:
    return resolve_budget(config.k, _search_root(model)[0])


def _search_root(model: nn.Module) -> tuple[nn.Module, str]:
    backbone = getattr(model, "backbone", None)
    if isinstance(backbone, nn.Module):
        return backbone, "backbone."
    return model, ""


def _maybe_linear4bit(root: nn.Module) -> type | None:
    names = {type(m).__name__ for m in root.modules()}
    return linear4bit_class() if "Linear4bit" in names else None


def _kind(module: nn.Module, q4: type | None, config: SpielConfig) -> str | None:
    if q4 is not None and isinstance(module, q4):
        return "linear4bit"
    if isinstance(module, nn.Linear):
        return "linear"
    if config.embeddings and isinstance(module, nn.Embedding):
        return "embedding"
    return None


def _selected(mod_name: str, targets: list[str] | None) -> bool:
    if targets is None:
        return True
    last = mod_name.rsplit(".", 1)[-1]
    return any(t in (mod_name, last) or mod_name.endswith("." + t) for t in targets)


def _logical_shape(module: nn.Module, kind: str) -> tuple[int, int]:
    if kind == "linear4bit":
        return (module.out_features, module.in_features)
    return tuple(module.weight.shape)  # type: ignore[return-value]
