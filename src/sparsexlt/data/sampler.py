"""Which examples form each batch when training on several sources at once.

Every batch comes from ONE source (so one language component can be applied for its step).

Epoch semantics (the formula). Source i has n_i examples and an upsampling factor u_i > 0. One
epoch holds m_i = floor(u_i) * n_i + round(frac(u_i) * n_i) examples of source i: every example
floor(u_i) times, plus a seeded random subset for the fractional part (u_i < 1 downsamples).
Each source's m_i examples are shuffled and cut into b_i = ceil(m_i / B) batches (the last may be
short). The batches of all sources are then put in one seeded random order. So within an epoch
every source contributes exactly b_i batches and

    P(a batch comes from source i) = b_i / sum_j b_j  ≈  n_i u_i / sum_j n_j u_j,

the reference recipe's "source sampled per batch in proportion to its size after upsampling",
with exact counts per epoch instead of independent draws.

Determinism: the plan of epoch e depends only on (seed, e, sizes, factors, batch size), so the
sampler's whole state is (epoch, position); `state_dict()` is plain JSON and resuming continues
with the very next batch.

Several replicas (data-parallel processes), `num_replicas` = R > 1: every replica walks the
SAME plan, and replica r takes the r-th contiguous slice of each batch: examples
[r·n // R, (r+1)·n // R) of a batch of n. Concatenating the slices in rank order gives the
single-process batch back, so `batch_size` is the global batch and R processes see exactly
what one process would (the basis of the "R processes train the same SFT as one" guarantee).
Every replica's batch of a step comes from the same source, so all apply the same language
component. A short last batch may leave a replica an empty slice; `batch_size` itself must be
≥ R. The position in the plan does not depend on R, so a state saved under R replicas resumes
under any other count. (An older "interleave" mode, whole batches r, r + R, … per replica,
is gone; its states, written under R > 1, are refused with a message saying so.)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

Batch = tuple[int, list[int]]
"""(source index, example indices within that source)."""

SHARDING = "slice"  # recorded in states, so a state of the old interleaving mode is recognised


class MultiSourceSampler:
    """Deterministic, resumable, infinite stream of single-source batches."""

    def __init__(
        self,
        sizes: Sequence[int],
        batch_size: int,
        *,
        upsample: Sequence[float] | None = None,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
    ):
        upsample = [1.0] * len(sizes) if upsample is None else list(upsample)
        _validate(sizes, batch_size, upsample, num_replicas, rank)
        self.sizes = [int(n) for n in sizes]
        self.batch_size = int(batch_size)
        self.upsample = [float(u) for u in upsample]
        self.seed = int(seed)
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.epoch = 0
        self.position = 0
        self._plan: list[Batch] | None = None

    def examples_per_epoch(self) -> list[int]:
        """m_i for every source (see the module docstring)."""
        return [_epoch_count(n, u) for n, u in zip(self.sizes, self.upsample, strict=True)]

    def batches_per_source(self) -> list[int]:
        """b_i = ceil(m_i / B) for every source (all replicas together)."""
        return [math.ceil(m / self.batch_size) for m in self.examples_per_epoch()]

    def batches_per_epoch(self) -> int:
        """Batches of an epoch (each replica receives its slice of every one)."""
        return sum(self.batches_per_source())

    def expected_fractions(self) -> list[float]:
        """Share of batches each source gets: b_i / sum_j b_j."""
        counts = self.batches_per_source()
        total = sum(counts)
        return [c / total for c in counts]

    def next_batch(self) -> Batch:
        """The next (source index, example indices); epochs roll over automatically."""
        if self._plan is None:
            self._plan = self._replica_plan(self.epoch)
        if self.position >= len(self._plan):
            self.epoch += 1
            self.position = 0
            self._plan = self._replica_plan(self.epoch)
        batch = self._plan[self.position]
        self.position += 1
        return batch

    def __iter__(self) -> Iterator[Batch]:
        while True:
            yield self.next_batch()

    def state_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "position": self.position,
            "seed": self.seed,
            "sizes": self.sizes,
            "upsample": self.upsample,
            "batch_size": self.batch_size,
            "num_replicas": self.num_replicas,
            "sharding": SHARDING,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue where `state` stopped; refuses a state of a differently built sampler.

        The position counts global batches, so a state resumes under any replica count."""
        if state.get("sharding", "interleave") != SHARDING and state["num_replicas"] > 1:
            raise ValueError(
                f"sampler state of the removed interleaving mode (written by "
                f"{state['num_replicas']} replicas): its position is not a global one; "
                "restart this training"
            )
        for key in ["seed", "sizes", "upsample", "batch_size"]:
            if state[key] != getattr(self, key):
                raise ValueError(
                    f"sampler state does not match: {key}={state[key]!r}, "
                    f"this sampler has {getattr(self, key)!r}"
                )
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])
        self._plan = None

    def _replica_plan(self, epoch: int) -> list[Batch]:
        plan = self._full_plan(epoch)
        if self.num_replicas == 1:
            return plan
        return [(source, self.replica_slice(ids)) for source, ids in plan]

    def replica_slice(self, ids: list[int]) -> list[int]:
        """This replica's contiguous share of one global batch (see the module docstring)."""
        n, r, size = len(ids), self.rank, self.num_replicas
        return ids[r * n // size : (r + 1) * n // size]

    def _full_plan(self, epoch: int) -> list[Batch]:
        rng = np.random.default_rng([self.seed, epoch])
        batches: list[Batch] = []
        for source, (n, u) in enumerate(zip(self.sizes, self.upsample, strict=True)):
            order = rng.permutation(_epoch_indices(n, u, rng))
            for start in range(0, len(order), self.batch_size):
                batches.append((source, order[start : start + self.batch_size].tolist()))
        return [batches[i] for i in rng.permutation(len(batches))]


def _epoch_count(n: int, u: float) -> int:
    whole = math.floor(u)
    return whole * n + round((u - whole) * n)


def _epoch_indices(n: int, u: float, rng: np.random.Generator) -> np.ndarray:
    whole = math.floor(u)
    extra = round((u - whole) * n)
    parts = [np.tile(np.arange(n), whole)]
    if extra:
        parts.append(rng.choice(n, size=extra, replace=False))
    return np.concatenate(parts)


def _validate(
    sizes: Sequence[int],
    batch_size: int,
    upsample: Sequence[float],
    num_replicas: int,
    rank: int,
) -> None:
    if not sizes:
        raise ValueError("at least one source is needed")
    if len(upsample) != len(sizes):
        raise ValueError(f"{len(upsample)} upsampling factors for {len(sizes)} sources")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    for i, (n, u) in enumerate(zip(sizes, upsample, strict=True)):
        if n < 1:
            raise ValueError(f"source {i} is empty")
        if not u > 0:
            raise ValueError(f"source {i}: upsampling factor must be > 0, got {u}")
        if _epoch_count(n, u) == 0:
            raise ValueError(f"source {i}: factor {u} leaves no example of {n} in an epoch")
    if not 0 <= rank < num_replicas:
        raise ValueError(f"rank {rank} outside 0..{num_replicas - 1}")
    if batch_size < num_replicas:
        raise ValueError(
            f"batch_size={batch_size} is the global batch: it must be >= num_replicas="
            f"{num_replicas} so every replica gets examples"
        )
