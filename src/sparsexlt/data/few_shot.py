"""Choosing the k target-language examples of the few-shot scenarios.

Deterministic: the same dataset, k, strategy and seed give the same examples on every machine
(Python's `random.Random(seed)`, whose sequence is stable across versions). The chosen
examples keep their order in the file.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from datasets import Dataset

from sparsexlt.errors import ConfigError


def _first(n: int, k: int, seed: int) -> list[int]:
    return list(range(k))


def _random(n: int, k: int, seed: int) -> list[int]:
    return sorted(random.Random(seed).sample(range(n), k))


STRATEGIES: dict[str, Callable[[int, int, int], list[int]]] = {
    "first": _first,
    "random": _random,
}


def few_shot(dataset: Dataset, k: int, strategy: str = "first", seed: int = 0) -> Dataset:
    """k examples of `dataset`: the first k, or k drawn without replacement with `seed`."""
    problems = []
    if strategy not in STRATEGIES:
        problems.append(f"strategy: unknown {strategy!r}; known: {', '.join(STRATEGIES)}")
    if not 0 <= k <= len(dataset):
        problems.append(f"k: {k} is not between 0 and the {len(dataset)} examples available")
    if problems:
        raise ConfigError("few_shot", problems)
    return dataset.select(STRATEGIES[strategy](len(dataset), k, seed))
