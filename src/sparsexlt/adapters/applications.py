"""Which models a component (SparseDelta, LoRA, MAD-X) is applied to right now, with what it
must undo.

A component may be applied to several models at once, but only once to each. Models are held
weakly: an entry counts only while its weak reference still resolves to that very model, and
it is dropped (saved originals included — for a dense delta a full copy of the parameter) as
soon as the model is freed. Keying by `id(model)` alone is not enough: CPython reuses the id of
a freed object, so a fresh model could otherwise look "already applied".
"""

from __future__ import annotations

import weakref
from typing import Any

from torch import nn

from sparsexlt.errors import DeterministicError


class Applications:
    """Per-model record of an applied component: `add` on apply, `pop` on revert."""

    def __init__(self, owner: str):
        self.owner = owner
        self._entries: dict[int, tuple[weakref.ref, Any]] = {}

    def add(self, model: nn.Module, state: Any) -> None:
        """Record `state` for `model`; DeterministicError if it is applied there already."""
        self.check_not_applied(model)
        key, me = id(model), weakref.ref(self)

        def forget(ref: weakref.ref) -> None:  # the model was freed: drop what it kept
            owner = me()
            if owner is not None and owner._entries.get(key, (None,))[0] is ref:
                del owner._entries[key]

        self._entries[key] = (weakref.ref(model, forget), state)

    def check_not_applied(self, model: nn.Module) -> None:
        if self.is_applied(model):
            raise DeterministicError(f"{self.owner} is already applied to this model; revert first")

    def pop(self, model: nn.Module) -> Any:
        if not self.is_applied(model):
            raise DeterministicError(f"{self.owner} is not applied to this model")
        return self._entries.pop(id(model))[1]

    def is_applied(self, model: nn.Module) -> bool:
        self._prune()
        entry = self._entries.get(id(model))
        return entry is not None and entry[0]() is model

    def __len__(self) -> int:
        self._prune()
        return len(self._entries)

    def _prune(self) -> None:
        """Drop entries whose model is gone (normally the weakref callback already has)."""
        dead = [key for key, (ref, _) in self._entries.items() if ref() is None]
        for key in dead:
            del self._entries[key]
