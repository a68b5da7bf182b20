"""Hooks into the training loop, for logging and for tests that watch the step order.

Subclass `Callback` and override what you need; every hook is a no-op by default. The loop
calls, per optimizer step: `on_micro_batch` (after the language component is applied, before
forward) for every micro-batch, `on_before_optimizer_step` (every component reverted, gradients
not yet reduced), `on_step_end`, then `on_eval` / `on_checkpoint` when those happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparsexlt.adapters.base import Component


@dataclass(frozen=True)
class MicroBatch:
    step: int  # global optimizer step this micro-batch belongs to (1-based)
    micro_step: int  # 0 .. grad_accum - 1
    phase: int
    source_index: int
    source: str
    language: str | None
    component: Component | None
    size: int  # examples in the batch


class Callback:
    def on_micro_batch(self, batch: MicroBatch) -> None: ...

    def on_before_optimizer_step(self, step: int) -> None: ...

    def on_step_end(self, step: int, record: dict[str, Any]) -> None: ...

    def on_eval(self, step: int, metrics: dict[str, float]) -> None: ...

    def on_checkpoint(self, step: int, path: Path) -> None: ...


@dataclass
class RecordSources(Callback):
    """Remembers which source and language every micro-batch used."""

    batches: list[MicroBatch] = field(default_factory=list)

    def on_micro_batch(self, batch: MicroBatch) -> None:
        self.batches.append(batch)
