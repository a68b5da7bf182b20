"""Which weight matrices SpIEL trains, and how the budget K is spread over them.

A target is a module whose weight gets a sparse φ: `nn.Linear`, bitsandbytes `Linear4bit`
(the weight stays quantised) or, with `embeddings=True`, `nn.Embedding`. Names are those of
`model.named_parameters()`, so a TaskModel's are `backbone.…` and the export composes with any
other SparseDelta.

Tied weights (one tensor used by several modules, e.g. the input embeddings and an MLM / LM
head decoder): the tensor is one matrix, so it gets one target, one φ and one share of K, named
after its first use. Each module keeps its own kind's forward (`kinds`: the Embedding looks
rows up, the decoder multiplies), both see W0 + φ, and autograd sums dφ over the uses — the
gradient of the loss through every use of the matrix. A tensor is a target only when *every*
module holding it is one: with `embeddings=False` a decoder tied to the input embeddings is
left out (logged), since changing it would change the embeddings, which were not to train,
with a gradient that ignores their use.
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
    kind: str  # of the first use: "linear" | "linear4bit" | "embedding"
    modules: list[nn.Module] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # per module: the forward it gets

    @property
    def numel(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def tied(self) -> bool:
        """Used by several modules (dφ arrives once per use in a backward)."""
        return len(self.modules) > 1

    def add_use(self, module: nn.Module, kind: str, name: str) -> None:
        """Another module holding the same weight (tied)."""
        if "linear4bit" in (kind, self.kind) and kind != self.kind:
            raise DeterministicError(
                f"spiel: {name}.weight is tied to {self.name} but one is 4-bit quantised and "
                "the other is not; untie them or leave one out with target_modules"
            )
        self.modules.append(module)
        self.kinds.append(kind)


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
            by_weight[id(weight)].add_use(module, kind, full)
            continue
        by_weight[id(weight)] = Target(
            f"{full}.weight", weight, _logical_shape(module, kind), kind, [module], [kind]
        )
    targets = _fully_targeted(model, list(by_weight.values()), config)
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


def _fully_targeted(model: nn.Module, targets: list[Target], config: SpielConfig) -> list[Target]:
    """The targets whose weight no other module of `model` holds (see module doc)."""
    holders: dict[int, list[tuple[str, nn.Module, str]]] = {}
    for mod_name, module in model.named_modules(remove_duplicate=False):
        for attr, p in module.named_parameters(recurse=False, remove_duplicate=False):
            holders.setdefault(id(p), []).append((_join(mod_name, attr), module, attr))
    kept = []
    for t in targets:
        others = [
            name
            for name, module, attr in holders.get(id(t.weight), [])
            if attr != "weight" or not any(module is m for m in t.modules)
        ]
        if not others:
            kept.append(t)
            continue
        _log(
            f"spiel: {t.name} is not trained: it is tied to {', '.join(others)}, which SpIEL "
            f"does not target (embeddings={config.embeddings}, target_modules="
            f"{config.target_modules}, dense_modules={config.dense_modules}); a tied matrix "
            "trains only when every use is targeted (embeddings=True for an embedding tied to "
            "an LM head), or untie the weights"
        )
    return kept


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _log(message: str) -> None:
    try:  # rich is not needed on the torch-only training path (see `method`)
        from sparsexlt.util.progress import log
    except ImportError:  # pragma: no cover
        return
    log(message)


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
