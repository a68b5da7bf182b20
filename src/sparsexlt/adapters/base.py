"""The interface every fine-tuning method offers to the one training loop.

A method says what is special about it and nothing else: which tensors train, how its optimizer
looks, what happens after backward and after each optimizer step, and what it exports. The loop
(`sparsexlt.training`) owns batching, schedules, language switching, checkpoints and
gradient synchronisation across processes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch
from torch import nn


@runtime_checkable
class Component(Protocol):
    """A reversible, saveable change to a model: an SFT (SparseDelta) or an adapter set.

    Contract: `revert(model)` after `apply(model)` leaves every parameter bit-for-bit as it was.
    """

    method: str

    def apply(self, model: nn.Module) -> None: ...

    def revert(self, model: nn.Module) -> None: ...

    def save(self, directory: str | Path) -> Path: ...


class FineTuningMethod(ABC):
    """One registered method. Instances are single-use: attach → train phases → export → detach.

    Call order driven by the loop, per phase `i` of `phases()`:
      start_phase(i) → [per micro-batch: forward/backward (+ regularization_loss) →
      after_backward()] → (gradients of trainable_tensors() all-reduced across processes) →
      optimizer.step() → after_optimizer_step(step) … → export().
    """

    name: ClassVar[str]

    def __init__(self, **hyperparameters: Any):
        self.hparams = hyperparameters
        self.model: nn.Module | None = None

    def attach(self, model: nn.Module) -> None:
        """Prepare `model` for training with this method (freeze, wrap, merge state)."""
        self.model = model

    def phases(self) -> list[str]:
        """Names of the training phases; each gets a fresh optimizer and schedule."""
        return ["train"]

    def start_phase(self, index: int) -> None:  # noqa: B027 - optional hook
        """Called before phase `index`; LT-SFT selects and resets here before phase 1."""

    @abstractmethod
    def trainable_tensors(self) -> list[nn.Parameter]:
        """The tensors the optimizer updates; exactly these gradients cross the wire in DDP."""

    def build_optimizer(self, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.trainable_tensors(), lr=lr, weight_decay=weight_decay)

    def regularization_loss(self) -> torch.Tensor | None:
        """Extra loss term (for example L1 toward θ0); None when the method has none."""
        return None

    def after_backward(self) -> None:  # noqa: B027 - optional hook
        """Called after every micro-batch's backward (SpIEL accumulates growth statistics)."""

    def after_optimizer_step(self, step: int) -> None:  # noqa: B027 - optional hook
        """Called after every optimizer step (re-merge φ into weights, drop/grow)."""

    @abstractmethod
    def export(self) -> Component:
        """The trained result as a component that applies to a fresh copy of the base model."""

    def detach(self) -> None:  # noqa: B027 - optional hook
        """Undo `attach`: the model is the base model again (bit for bit where possible)."""

    def state_dict(self) -> dict[str, Any]:
        """Method state beyond the trainable tensors (indices, statistics) for checkpoints."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Restore what `state_dict` returned."""
