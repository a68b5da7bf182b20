"""`TrainConfig`: every knob of the one training loop, validated when built."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch

from sparsexlt.errors import ConfigError
from sparsexlt.training.distributed import local_rank

Precision = Literal["auto", "fp32", "bf16"]

# Fields that change how a run is watched or stored, never the weights it produces. They are left
# out of the resume hash, so a resumed run may change them.
OPERATIONAL_FIELDS = ("eval_every", "checkpoint_every", "keep_checkpoints", "log_every", "device")


@dataclass
class TrainConfig:
    """How to train. Exactly one of `steps` / `epochs` is set.

    steps: optimizer steps per phase; one value for every phase, or a list with one per phase.
    epochs: passes over the multi-source sampler's epoch (see `sparsexlt.data.sampler`) per
        phase, converted to ceil(epochs * batches_per_epoch / grad_accum) steps.
    batch_size: examples per micro-batch (every micro-batch comes from one source). Under N
        processes this is the global micro-batch: each process takes its slice (about
        batch_size / N), so the same config trains the same model on 1 or N processes (SpIEL-AG
        excepted: its growth candidates come from rank 0's slice, docs/scaling-out.md).
    grad_accum: micro-batches per optimizer step (each loss is divided by it).
    lr: peak learning rate; one value for every phase, or a list with one per phase (LT-SFT's
        sparse phase may want another rate than its dense one). Each phase builds a fresh
        optimizer and schedule that warm up to, and decay from, its own rate.
    warmup_ratio: share of a phase's steps spent warming up linearly (ceil of ratio * steps).
    weight_decay: AdamW weight decay, passed to `method.build_optimizer`.
    max_grad_norm: clip the global norm of the trainable gradients; None or <= 0 turns it off.
    eval_every: call `eval_fn` every N optimizer steps (and after the last one); 0 = only last.
    checkpoint_every: write a checkpoint every N steps; one is always written at each phase end.
        0 = only at phase ends.
    keep_checkpoints: how many of the newest checkpoints to keep (>= 1).
    log_every: record the mean training loss in the history every N steps.
    best_metric: name of an `eval_fn` metric; when set, the best export of the last phase is
        saved to `<output_dir>/best` (higher is better unless `greater_is_better=False`).
    seed: seeds torch, python `random`, numpy and the sampler at the start of a fresh run.
    device: "auto" (cuda when available, else cpu) or a torch device string; "cuda" without an
        index means this process's GPU (LOCAL_RANK) under a multi-process launcher.
    precision: "auto" (bf16 autocast on a GPU that supports it, fp32 otherwise), "fp32", "bf16".
    """

    steps: int | list[int] | None = None
    epochs: float | list[float] | None = None
    batch_size: int = 8
    grad_accum: int = 1
    lr: float | list[float] = 5e-5
    warmup_ratio: float = 0.0
    weight_decay: float = 0.0
    max_grad_norm: float | None = 1.0
    eval_every: int = 0
    checkpoint_every: int = 500
    keep_checkpoints: int = 2
    log_every: int = 10
    best_metric: str | None = None
    greater_is_better: bool = True
    seed: int = 0
    device: str = "auto"
    precision: Precision = "auto"

    def __post_init__(self) -> None:
        problems = []
        if (self.steps is None) == (self.epochs is None):
            problems.append("set exactly one of steps / epochs")
        for name in ("batch_size", "grad_accum", "keep_checkpoints", "log_every"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("eval_every", "checkpoint_every"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0.0 <= self.warmup_ratio <= 1.0:
            problems.append(f"warmup_ratio must be in [0, 1], got {self.warmup_ratio}")
        rates = self.lr if isinstance(self.lr, (list, tuple)) else [self.lr]
        if not rates or min(rates) < 0 or self.weight_decay < 0:
            problems.append("lr and weight_decay must be >= 0")
        if self.precision not in ("auto", "fp32", "bf16"):
            problems.append(f"precision must be auto, fp32 or bf16, got {self.precision!r}")
        if problems:
            raise ConfigError("TrainConfig", problems)

    def steps_per_phase(self, n_phases: int, batches_per_epoch: int) -> list[int]:
        """Optimizer steps of each phase, from `steps` or `epochs`."""
        if self.steps is not None:
            steps = _per_phase(self.steps, n_phases, "steps")
            return [int(s) for s in steps]
        epochs = _per_phase(self.epochs, n_phases, "epochs")
        return [math.ceil(e * batches_per_epoch / self.grad_accum) for e in epochs]

    def lr_per_phase(self, n_phases: int) -> list[float]:
        """The peak learning rate of each phase, from `lr`."""
        return [float(x) for x in _per_phase(self.lr, n_phases, "lr")]

    def resume_settings(self) -> dict[str, Any]:
        """The fields that decide the trained weights (no operational ones), as JSON: what the
        resume hash covers. `lr` is written as one value when every phase shares it, so a run
        started with `lr=x` resumes under `lr=[x, x]` (the same training) and vice versa."""
        settings = {k: v for k, v in self.to_dict().items() if k not in OPERATIONAL_FIELDS}
        rates = settings["lr"]
        if isinstance(rates, (list, tuple)):
            settings["lr"] = rates[0] if len(set(rates)) == 1 else list(rates)
        return settings

    def resolved_device(self) -> torch.device:
        if self.device == "auto":
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        else:
            device = torch.device(self.device)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", local_rank())
        return device

    def autocast_dtype(self, device: torch.device) -> torch.dtype | None:
        """bf16 when autocast should run, None for plain fp32."""
        if self.precision == "fp32":
            return None
        if self.precision == "bf16":
            return torch.bfloat16
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _per_phase(value: Any, n_phases: int, name: str) -> list[Any]:
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n_phases
    if len(values) != n_phases:
        raise ConfigError("TrainConfig", [f"{name}: {len(values)} values for {n_phases} phases"])
    if any(v < 0 for v in values):
        raise ConfigError("TrainConfig", [f"{name}: must be >= 0, got {values}"])
    return values
