"""Applying a source's language component for exactly one micro-batch.

The order of one optimizer step, defined here once and followed by `loop.py`:

    zero the gradients (of the optimizer's tensors and of the model)
    for each micro-batch (each from one source):
        apply(language component of its source)      # saves the touched originals
        forward → loss / grad_accum → backward       # gradients at θ + φ_task + φ_language
        revert(language component)                   # weights bit-exact back to θ + φ_task
        method.after_backward()
    method.regularization_loss() → backward          # computed on θ + φ_task, language reverted
    all_reduce_gradients(method.trainable_tensors())  # no-op in one process
    clip → optimizer.step() → scheduler.step()
    method.after_optimizer_step(phase_step)          # re-merges the task φ; 1 after the first

Reverting before the optimizer step is what keeps overlapping deltas correct: the optimizer (and
the method's re-merge) only ever sees θ + φ_task, never a weight that still holds φ_language,
because float addition is not invertible ((w + a) − a ≠ w) and only restoring the saved
originals is exact.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from sparsexlt.adapters.base import Component
from sparsexlt.adapters.sparse_delta import remember_base_fingerprint
from sparsexlt.training.multi_source import Source


@contextmanager
def language_applied(model: nn.Module, component: Component | None) -> Iterator[None]:
    """Apply `component` for the body, revert it afterwards (also when the body raises)."""
    if component is None:
        yield
        return
    with torch.no_grad():
        component.apply(model)
    try:
        yield
    finally:
        with torch.no_grad():
            component.revert(model)


def pin_base_fingerprint(model: nn.Module, sources: Sequence[Source]) -> None:
    """Store the base fingerprint on the model before training changes its weights.

    A language SFT checks the model's base fingerprint on every `apply`; without a stored value
    it would be computed from the current weights, which already hold the task φ being trained.
    """
    if any(s.language_component is not None for s in sources):
        remember_base_fingerprint(model)


def place_components(sources: Sequence[Source], device: torch.device) -> None:
    """Move every language component to `device` once, so no step reloads or copies it.

    Components that offer `to(device)` are moved (the result replaces the source's component when
    `to` returns a new object); others are used as they are.
    """
    for source in sources:
        component = source.language_component
        mover = getattr(component, "to", None)
        if component is not None and callable(mover):
            moved = mover(device)
            if moved is not None:
                source.language_component = moved
