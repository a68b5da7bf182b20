"""What a checkpoint holds, and the order in which a resumed run puts it back.

Restore order (a contract with the methods), on the fresh model the restarted run attached:
`method.load_state_dict(saved)` (the method re-enters the saved phase and restores indices, φ
and statistics, re-merging φ where it keeps it merged) → `method.start_phase(saved phase)` (must
not redo a phase the state already entered) → the saved values copied into
`method.trainable_tensors()` → `method.build_optimizer` → optimizer and scheduler state →
sampler, collator and RNG states (rank 0's; each rank's own then follow, see `rank_states`).

Under several processes every rank loads the same checkpoint: `agreed_checkpoint` checks that
all ranks see the same newest one (they do when the output_dir is shared) and fails on every
rank otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from sparsexlt.adapters.base import FineTuningMethod
from sparsexlt.data.sampler import MultiSourceSampler
from sparsexlt.errors import ConfigError
from sparsexlt.training import rng
from sparsexlt.training.distributed import SETUP, all_gather_bytes, is_distributed
from sparsexlt.training.multi_source import Source

Optimizers = tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]


def capture_state(
    args_hash: str,
    loop: dict[str, Any],
    method: FineTuningMethod,
    optimizers: Optimizers,
    sampler: MultiSourceSampler,
    sources: Sequence[Source],
    rank_states: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything needed to continue exactly: see `restore_state` for how it goes back.

    `rank_states`: every rank's RNG/collator states when distributed (`gather_rank_states`).
    """
    optimizer, scheduler = optimizers
    state = {
        "args_hash": args_hash,
        "loop": loop,
        "trainable": [t.detach() for t in method.trainable_tensors()],
        "method": method.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "sampler": sampler.state_dict(),
        "collators": {
            s.name: s.collate.state_dict() for s in sources if hasattr(s.collate, "state_dict")
        },
        "rng": rng.capture(),
    }
    if rank_states is not None:
        state["ranks"] = rank_states
    return state


def agreed_checkpoint(path: Path | None) -> Path | None:
    """`path` when every rank found the same newest checkpoint; a ConfigError on every rank
    otherwise (processes on machines that do not share the output_dir)."""
    if not is_distributed():
        return path
    seen = [
        b.decode() for b in all_gather_bytes(b"" if path is None else path.name.encode(), SETUP)
    ]
    if len(set(seen)) > 1:
        found = ", ".join(f"rank {r}: {name or 'none'}" for r, name in enumerate(seen))
        raise ConfigError(
            path or "checkpoints",
            [
                f"the processes see different newest checkpoints ({found}); the output_dir "
                "must be on a filesystem every process shares"
            ],
        )
    return path


def restore_state(
    state: dict[str, Any],
    path: Path,
    args_hash: str,
    method: FineTuningMethod,
    build_optimizers: Callable[[int], Optimizers],
    sampler: MultiSourceSampler,
    sources: Sequence[Source],
) -> Optimizers:
    """Put `state` back in the documented order; returns the phase's optimizer and scheduler."""
    if state["args_hash"] != args_hash:
        raise ConfigError(path, ["written by a run with other arguments (hash mismatch)"])
    phase = state["loop"]["phase"]
    method.load_state_dict(state["method"])
    method.start_phase(phase)
    _copy_trainable(method.trainable_tensors(), state["trainable"], path)
    optimizer, scheduler = build_optimizers(phase)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    sampler.load_state_dict(state["sampler"])
    for source in sources:
        if source.name in state["collators"]:
            source.collate.load_state_dict(state["collators"][source.name])
    rng.restore(state["rng"])
    return optimizer, scheduler


def _copy_trainable(tensors: list[torch.Tensor], saved: list[torch.Tensor], path: Path) -> None:
    if len(tensors) != len(saved):
        raise ConfigError(
            path, [f"{len(saved)} trainable tensors saved, method has {len(tensors)}"]
        )
    with torch.no_grad():
        for i, (t, s) in enumerate(zip(tensors, saved, strict=True)):
            if t.shape != s.shape:
                raise ConfigError(
                    path,
                    [
                        f"trainable tensor {i} saved as {tuple(s.shape)}, method has {tuple(t.shape)}"
                    ],
                )
            t.copy_(s.to(t.device))
