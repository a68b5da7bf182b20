"""SpIEL under data parallelism: the same selection on every rank, with traffic ∝ K.

The training loop all-reduces the gradients of φ (K values) and of the dense head, so φ, the
optimizer state and SM3's accumulators (MA growth) stay identical on every rank by themselves.
What AG growth and the index sets need on top, through the collectives the loop hands to
`SpielMethod.use_collectives` (this module imports nothing from `training`):

- candidates: chosen from the dense gradient of a window's first micro-batch, which each rank
  has only for its own slice of the batch. Rank 0's choice is broadcast (n_candidates int32
  per matrix; an embedding's count first, as it depends on the batch's tokens) and every rank
  accumulates at those. Under N processes the candidates thus come from 1/N of that micro-batch,
  while the growth decision (Σg over the window) uses every rank's data.
- statistics: every window step's gradient at the candidates is all-reduced (mean) before Σg
  and Σg² take it, so they are exactly the single-process values (4 bytes per candidate per
  window step). Windows are therefore always buffered per step when distributed.
- indices: after every reselection, and once when the collectives arrive, rank 0's index set
  is broadcast (K int32) and compared. Ranks that already agree — always, as every decision
  above is a function of identical tensors — change nothing; a rank that differs (another
  seed, a non-deterministic kernel) adopts rank 0's indices, φ and per-entry optimizer state.

Collective kinds (for byte counting): "statistics" and "indices".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import torch

STATISTICS = "statistics"
INDICES = "indices"
_WIRE_DTYPES = (torch.float32, torch.float64, torch.int32, torch.int64, torch.uint8)


class Collectives(Protocol):
    """What `sparsexlt.training.distributed.Collectives` offers (no-ops in one process)."""

    world_size: int

    def all_reduce(self, tensors: Sequence[torch.Tensor], kind: str, *, mean: bool) -> None: ...

    def broadcast(self, tensors: Sequence[torch.Tensor], kind: str, *, src: int = 0) -> None: ...


def is_multi(comm: Collectives | None) -> bool:
    return comm is not None and comm.world_size > 1


@torch.no_grad()
def share_candidates(
    candidates: torch.Tensor, comm: Collectives | None, variable_count: bool
) -> torch.Tensor:
    """Rank 0's candidates (sorted int32) on every rank; `candidates` itself in one process."""
    if not is_multi(comm):
        return candidates
    if variable_count:
        count = torch.tensor([candidates.numel()], dtype=torch.int64, device=candidates.device)
        comm.broadcast([count], INDICES)
        if int(count) != candidates.numel():
            candidates = torch.zeros(int(count), dtype=torch.int32, device=candidates.device)
    comm.broadcast([candidates], INDICES)
    return candidates


@torch.no_grad()
def reduce_window_statistics(weights: Sequence[Any], comm: Collectives | None) -> None:
    """Average this step's gradient at the candidates over the ranks (before `fold`)."""
    if not is_multi(comm):
        return
    grads = [
        sw.window.step_grad
        for sw in weights
        if sw.window is not None and sw.window.candidates is not None
    ]
    if any(g is None for g in grads):
        raise RuntimeError("spiel: an unbuffered growth window under several processes")
    comm.all_reduce(grads, STATISTICS, mean=True)


def buffer_windows(weights: Sequence[Any]) -> None:
    """Make every open window keep a per-step buffer (needed to reduce it across ranks)."""
    for sw in weights:
        window = sw.window
        if window is not None and not window.buffered:
            window.buffered = True
            if window.candidates is not None:
                window.step_grad = torch.zeros(
                    window.candidates.numel(), dtype=torch.float32, device=window.device
                )


@torch.no_grad()
def agree_on_indices(
    store: Any, weights: Sequence[Any], optimizer: Any, comm: Collectives | None
) -> bool:
    """Every rank holds rank 0's index set afterwards; True when this call had to repair one."""
    if not is_multi(comm) or store is None:
        return False
    shared = store.indices.clone()
    comm.broadcast([shared], INDICES)
    differs = (shared != store.indices).any().to(torch.float32).reshape(1)
    comm.all_reduce([differs], INDICES, mean=False)
    if float(differs) == 0.0:
        return False
    for sw in weights:
        sw.revert()
    store.indices.copy_(shared)
    state = [store.phi]
    if optimizer is not None:
        for sw in weights:
            per_phi = optimizer.state.get(sw.phi, {})
            state += [per_phi[k] for k in sorted(per_phi) if isinstance(per_phi[k], torch.Tensor)]
    _broadcast_exact(state, comm)
    for sw in weights:
        sw._read_base()
    store.merge_all()
    return True


def _broadcast_exact(tensors: list[torch.Tensor], comm: Collectives) -> None:
    """Broadcast in place; dtypes a backend may lack (int16, bf16) travel widened, exactly."""
    staged = [
        t
        if t.dtype in _WIRE_DTYPES
        else t.to(torch.float32 if t.is_floating_point() else torch.int32)
        for t in tensors
    ]
    comm.broadcast(staged, INDICES)
    for t, s in zip(tensors, staged, strict=True):
        if s is not t:
            t.copy_(s)
