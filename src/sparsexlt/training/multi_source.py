"""Training sources: one dataset per language (or per origin), each with its language component.

A task SFT in the cross-lingual recipe trains on source-language data, translations and few-shot
target data at once. Each is a `Source`; every batch comes from exactly one of them (see
`sparsexlt.data.sampler` for how they are interleaved) and that source's `language_component`,
if any, is applied for the batch's forward/backward (see `language_switch`).

Few-shot target data is just a small Source with a large `upsample` factor, for example
`Source("fs-swh", "swh", few_shot(ds, k=10, strategy="first", seed=0), lang_swh, upsample=50)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch.utils.data import default_collate

from sparsexlt.adapters.base import Component
from sparsexlt.data.sampler import MultiSourceSampler
from sparsexlt.util.hashing import hash_json

Collate = Callable[[list[dict[str, Any]]], dict[str, torch.Tensor]]


@dataclass
class Source:
    """One stream of training examples.

    name: unique label (shows in history and callbacks).
    language: language code of the examples (None when it does not matter).
    dataset: encoded examples, indexable by int (a `datasets.Dataset` or a list of dicts).
    language_component: applied for every step on a batch of this source; None = plain model.
    upsample: epoch weight factor u (see the sampler's formula); few-shot data uses u >> 1.
    collate: list of examples -> dict of tensors; default `torch.utils.data.default_collate`,
        which stacks and so needs examples of equal length (pass a padding collator, e.g.
        `transformers.DataCollatorWithPadding(tokenizer)`, for unpadded text).
    fingerprint: identity of the data for the resume check; default: the dataset's own
        fingerprint (`datasets.Dataset`) or a hash of its length.
    """

    name: str
    language: str | None
    dataset: Any
    language_component: Component | None = None
    upsample: float = 1.0
    collate: Collate | None = None
    fingerprint: str | None = None

    def batch(self, indices: Sequence[int]) -> dict[str, torch.Tensor]:
        examples = [self.dataset[int(i)] for i in indices]
        if self.collate is not None:
            return self.collate(examples)
        try:
            return default_collate(examples)
        except RuntimeError as err:
            raise ValueError(f"source {self.name!r}: {_unequal_lengths(examples) or err}") from err

    def describe(self) -> dict[str, Any]:
        """What identifies this source in the resume hash."""
        component = self.language_component
        return {
            "name": self.name,
            "language": self.language,
            "size": len(self.dataset),
            "upsample": self.upsample,
            "data": self.fingerprint or _dataset_fingerprint(self.dataset),
            "collate": _qualified_name(self.collate),
            "component": None if component is None else _component_identity(component),
        }


def _unequal_lengths(examples: list[dict[str, Any]]) -> str | None:
    """Why the default collate could not stack `examples`, when it is ragged sequences."""
    for key in examples[0]:
        sized = [
            e[key] for e in examples if hasattr(e[key], "__len__") and not isinstance(e[key], str)
        ]
        lengths = sorted({len(v) for v in sized})
        if len(lengths) > 1:
            return (
                f"field {key!r} has lengths {lengths[0]}..{lengths[-1]} in one batch; the default "
                "collate only stacks equal lengths: pass `collate=` a padding collator "
                "(e.g. transformers.DataCollatorWithPadding) or pad when encoding"
            )
    return None


def build_sampler(
    sources: Sequence[Source], batch_size: int, seed: int, num_replicas: int = 1, rank: int = 0
) -> MultiSourceSampler:
    """The loop's sampler: `batch_size` is the global batch; with several replicas each takes
    its slice of every batch (the union is what one process would train on)."""
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"source names must be unique, got {names}")
    return MultiSourceSampler(
        [len(s.dataset) for s in sources],
        batch_size,
        upsample=[s.upsample for s in sources],
        seed=seed,
        num_replicas=num_replicas,
        rank=rank,
    )


def _dataset_fingerprint(dataset: Any) -> str:
    own = getattr(dataset, "_fingerprint", None)
    return own if isinstance(own, str) else hash_json({"len": len(dataset)})


def _qualified_name(fn: Any) -> str | None:
    if fn is None:
        return None
    kind = fn if callable(fn) and hasattr(fn, "__qualname__") else type(fn)
    return f"{kind.__module__}.{kind.__qualname__}"


def _component_identity(component: Component) -> Any:
    """What the resume check records for a language component: its content hash
    (`SparseDelta.content_hash`, `AdapterComponent.content_hash`), so a resumed run notices
    another language SFT of the same shape; type and method only for a component without one."""
    for attr in ("fingerprint", "content_hash"):
        value = getattr(component, attr, None)
        if callable(value):
            value = value()
        if isinstance(value, str):
            return value
    return {"type": _qualified_name(component), "method": getattr(component, "method", None)}
