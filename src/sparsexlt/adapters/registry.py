"""Methods are looked up by name, never chosen by an if-chain.

Each method module registers itself with `@register_method("name", loader=...)`; the loader
reads a saved component of that method back (see `load_component`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sparsexlt.adapters.base import Component, FineTuningMethod
from sparsexlt.errors import DeterministicError

_METHODS: dict[str, type[FineTuningMethod]] = {}
_LOADERS: dict[str, Callable[[Path], Component]] = {}

MANIFEST_NAMES = ("sft.json", "adapter.json")


def register_method(name: str, loader: Callable[[Path], Component] | None = None):
    """Class decorator: make `cls` available as `get_method(name)`."""

    def decorate(cls: type[FineTuningMethod]) -> type[FineTuningMethod]:
        if name in _METHODS and _METHODS[name] is not cls:
            raise ValueError(f"method {name!r} registered twice")
        cls.name = name
        _METHODS[name] = cls
        if loader is not None:
            _LOADERS[name] = loader
        return cls

    return decorate


def register_loader(name: str, loader: Callable[[Path], Component]) -> None:
    """Register how to read components saved under `method: name` (no training class needed)."""
    _LOADERS[name] = loader


def available_methods() -> list[str]:
    _import_builtin_methods()
    return sorted(_METHODS)


def get_method(name: str) -> type[FineTuningMethod]:
    _import_builtin_methods()
    try:
        return _METHODS[name]
    except KeyError:
        known = ", ".join(sorted(_METHODS)) or "none"
        raise DeterministicError(f"unknown method {name!r}; known methods: {known}") from None


COMPONENT_DIR = "component"  # where a pipeline artifact keeps its component


def load_component(directory: str | Path) -> Component:
    """Read a saved SFT or adapter set, whatever method produced it.

    A pipeline artifact folder (`artifacts/task-sft/<key>/`) keeps its component in
    `component/`; given the artifact folder, that component is read.
    """
    _import_builtin_methods()
    directory = Path(directory)
    manifest = _manifest(directory) or _manifest(directory / COMPONENT_DIR)
    if manifest is None:
        raise DeterministicError(
            f"{directory}: not a saved component (none of {', '.join(MANIFEST_NAMES)} found, "
            f"nor in {COMPONENT_DIR}/)"
        )
    method = json.loads(manifest.read_text())["method"]
    if method not in _LOADERS:
        raise DeterministicError(f"{manifest}: no loader for method {method!r}")
    return _LOADERS[method](manifest.parent)


def _manifest(directory: Path) -> Path | None:
    found = [directory / name for name in MANIFEST_NAMES if (directory / name).is_file()]
    return found[0] if found else None


def _import_builtin_methods() -> None:
    """Import the method modules so their decorators run (idempotent)."""
    import sparsexlt.adapters.methods  # noqa: F401
