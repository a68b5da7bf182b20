"""Heads looked up by task type, so choosing one never grows an if-chain."""

from __future__ import annotations

from collections.abc import Callable

from sparsexlt.errors import ConfigError
from sparsexlt.models.heads.base import Head

_HEADS: dict[str, type[Head]] = {}


def register_head(*task_types: str) -> Callable[[type[Head]], type[Head]]:
    def register(cls: type[Head]) -> type[Head]:
        for task_type in task_types:
            if task_type in _HEADS:
                raise ValueError(f"head for task type '{task_type}' registered twice")
            _HEADS[task_type] = cls
        cls.task_types = tuple(task_types)
        return cls

    return register


def get_head(task_type: str) -> type[Head]:
    try:
        return _HEADS[task_type]
    except KeyError:
        raise ConfigError(
            "task_type", [f"unknown task type '{task_type}'; known: {available_task_types()}"]
        ) from None


def available_task_types() -> list[str]:
    return sorted(_HEADS)
