"""Shared pieces for the training tests: a tiny classifier, synthetic data, a test component.

Kept out of conftest so the resume test's child process can import it too (tests/ on sys.path).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn
from transformers import XLMRobertaConfig, XLMRobertaForSequenceClassification

from sparsexlt.adapters.base import FineTuningMethod
from sparsexlt.adapters.sparse_delta import SparseDelta

VOCAB = 200
LENGTH = 8


@pytest.fixture
def one_thread():
    """Run torch on one thread: on a shared 2-core machine two threads are ~5x slower here."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def tiny_classifier(
    seed: int = 0, num_labels: int = 2, dropout: float = 0.0
) -> XLMRobertaForSequenceClassification:
    """A 2-layer, 32-wide XLM-R classifier (no dropout by default: a deterministic forward)."""
    torch.manual_seed(seed)
    config = XLMRobertaConfig(
        vocab_size=VOCAB,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=LENGTH + 4,
        num_labels=num_labels,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
    )
    return XLMRobertaForSequenceClassification(config)


def synthetic_dataset(n: int, seed: int = 0, offset: int = 0) -> list[dict[str, torch.Tensor]]:
    """Label 0 sequences draw tokens from [10, 60), label 1 from [100, 150): easy to learn."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for _ in range(n):
        label = int(torch.randint(0, 2, (1,), generator=g))
        low = 10 + offset if label == 0 else 100 + offset
        ids = torch.randint(low, low + 50, (LENGTH,), generator=g)
        ids[0] = 0  # <s>
        rows.append(
            {
                "input_ids": ids,
                "attention_mask": torch.ones(LENGTH, dtype=torch.long),
                "labels": torch.tensor(label),
            }
        )
    return rows


def flat_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters()}


class ShiftComponent:
    """A test-only language component: adds a fixed tensor to some weights, restores originals.

    `active` tells whether it is applied; `applied_during_forward` collects, per forward call of
    the model it is watching, which ShiftComponent was active (via a forward pre-hook).
    """

    method = "test-shift"
    active_component: ShiftComponent | None = None  # class-wide: who is applied right now

    def __init__(self, name: str, shifts: dict[str, torch.Tensor]):
        self.name = name
        self.shifts = shifts
        self.saved: dict[str, torch.Tensor] | None = None
        self.apply_count = 0

    def apply(self, model: nn.Module) -> None:
        assert self.saved is None, f"{self.name} applied twice"
        params = dict(model.named_parameters())
        self.saved = {}
        with torch.no_grad():
            for n, shift in self.shifts.items():
                self.saved[n] = params[n].detach().clone()
                params[n].add_(shift.to(params[n].device))
        ShiftComponent.active_component = self
        self.apply_count += 1

    def revert(self, model: nn.Module) -> None:
        assert self.saved is not None, f"{self.name} reverted while not applied"
        params = dict(model.named_parameters())
        with torch.no_grad():
            for n, original in self.saved.items():
                params[n].copy_(original)
        self.saved = None
        ShiftComponent.active_component = None

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "adapter.json").write_text(json.dumps({"method": self.method}))
        return directory


def shift_for(model: nn.Module, seed: int, names: list[str]) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    params = dict(model.named_parameters())
    return {n: 0.05 * torch.randn(params[n].shape, generator=g) for n in names}


class TwoPhaseMethod(FineTuningMethod):
    """Test-only two-phase method: phase "head" trains the classifier, phase "all" everything.

    Records the calls the loop makes, and keeps a tiny state (a counter) for checkpoints.
    """

    name = "test-two-phase"

    def attach(self, model: nn.Module) -> None:
        super().attach(model)
        self.theta0 = flat_state(model)
        self.calls: list[str] = []
        self.phase = 0
        self.counter = 0
        self.optimizers: list[torch.optim.Optimizer] = []

    def phases(self) -> list[str]:
        return ["head", "all"]

    def start_phase(self, index: int) -> None:
        self.phase = index
        self.calls.append(f"start_phase({index})")
        for n, p in self.model.named_parameters():
            p.requires_grad_(index == 1 or n.startswith("classifier."))

    def trainable_tensors(self) -> list[nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def build_optimizer(self, lr: float, weight_decay: float = 0.0) -> torch.optim.Optimizer:
        optimizer = super().build_optimizer(lr, weight_decay)
        self.optimizers.append(optimizer)
        return optimizer

    def after_optimizer_step(self, step: int) -> None:
        self.counter += 1

    def export(self) -> SparseDelta:
        dense = {n: (p.detach() - self.theta0[n]) for n, p in self.model.named_parameters()}
        return SparseDelta(dense=dense)

    def state_dict(self) -> dict:
        return {"counter": self.counter, "marker": torch.tensor([float(self.counter)])}

    def load_state_dict(self, state: dict) -> None:
        assert float(state["marker"][0]) == state["counter"]
        self.counter = state["counter"]
