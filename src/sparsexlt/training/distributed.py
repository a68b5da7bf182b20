"""Data parallelism across processes: the process group, and every byte that crosses the wire.

Launching: `torchrun` and `accelerate launch` start N copies of a program and describe the group
in the environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
`init_from_environment()` joins that group (nccl when CUDA is available, else gloo; override
with SPARSEXLT_DIST_BACKEND), pins the process to GPU LOCAL_RANK, and does nothing in a plain
single process. The training loop calls it, so `sparsexlt train …` runs unchanged under either
launcher. No model is wrapped in torch DDP: DDP all-reduces every parameter that requires grad,
and the sparse methods set requires_grad on whole weights only to receive their gradients.

Gradient synchronisation: the loop calls `all_reduce_gradients(method.trainable_tensors())`
after every language component has been reverted and before the optimizer step. In a single
process (torch.distributed not initialised, or world size 1) it does nothing. Otherwise it
averages the gradients: they are flattened into buckets of one dtype (at most `bucket_bytes`
each), summed with one all-reduce per bucket, divided by the world size and copied back. A tensor
without a gradient counts as zeros, so every rank sends the same layout.

Counting: every collective in this module adds its payload to a counter per kind (GRADIENTS,
LOSS, STATISTICS, INDICES, SETUP, STATE), so benchmarks and tests can check that a sparse
method's traffic per optimizer step is ∝ K. `bytes_reduced()` is the GRADIENTS counter.
"""

from __future__ import annotations

import atexit
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
import torch.distributed as dist

DEFAULT_BUCKET_BYTES = 64 * 2**20

GRADIENTS = "gradients"  # the all-reduced gradients of the trainable tensors, every step
LOSS = "loss"  # per micro-batch: loss units and loss sum (two float64 values)
STATISTICS = "statistics"  # selection statistics a method reduces (SpIEL windows)
INDICES = "indices"  # index sets a method broadcasts (SpIEL reselection and candidates)
SETUP = "setup"  # once per run: rank 0's initial model state, broadcast
STATE = "state"  # at checkpoints: per-rank RNG/collator states gathered on rank 0

_bytes: Counter[str] = Counter()


# ---- the process group ----------------------------------------------------------------------
def init_from_environment(backend: str | None = None) -> bool:
    """Join the group a launcher described in the environment; True when there are ≥ 2 ranks.

    Idempotent; a no-op without WORLD_SIZE > 1 (a plain `python …` run).
    """
    if dist.is_available() and dist.is_initialized():
        return is_distributed()
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return False
    backend = backend or default_backend()
    if backend == "nccl":
        torch.cuda.set_device(local_rank())
    dist.init_process_group(backend, init_method="env://")
    atexit.register(_shutdown)
    return is_distributed()


def default_backend() -> str:
    """SPARSEXLT_DIST_BACKEND, else nccl with CUDA, else gloo."""
    chosen = os.environ.get("SPARSEXLT_DIST_BACKEND")
    if chosen:
        return chosen
    return "nccl" if torch.cuda.is_available() else "gloo"


def _shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


_alone = 0  # > 0 inside `main_process_first`'s body: this process works as if it were alone


def _in_group() -> bool:
    return not _alone and dist.is_available() and dist.is_initialized()


def is_distributed() -> bool:
    return _in_group() and dist.get_world_size() > 1


def world_size() -> int:
    return dist.get_world_size() if _in_group() else 1


def rank() -> int:
    return dist.get_rank() if _in_group() else 0


def local_rank() -> int:
    """This process's index on its machine (the GPU it uses); 0 without a launcher."""
    return int(os.environ.get("LOCAL_RANK", "0"))


def is_main_process() -> bool:
    """Only this process writes checkpoints and outputs."""
    return rank() == 0


def comm_device() -> torch.device:
    """Where tensors must live for the group's backend (nccl: this process's GPU)."""
    if is_distributed() and dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def barrier() -> None:
    if is_distributed():
        dist.barrier()


@contextmanager
def main_process_first() -> Iterator[None]:
    """Rank 0 runs the body first; the others run it after rank 0 has finished it.

    For work every rank needs but only one should do, when the work is cached by content (the
    recipe's artifacts: the base model, translations): rank 0 builds, the others then find it
    built. Every rank must enter. Inside the body each process works as if it were alone
    (`is_distributed()` is False, `rank()` 0, `world_size()` 1), so a training the body starts
    (a translator adaptation) trains in that one process instead of waiting in collectives for
    ranks that are not training. When rank 0's body fails, the others do not run it: they
    raise RuntimeError (rank 0's own error says what went wrong). A no-op in one process.
    """
    if not is_distributed():
        yield
        return
    if is_main_process():
        finished = False
        try:
            with _working_alone():
                yield
            finished = True
        finally:
            main_process_value(finished)
        return
    if not main_process_value(False):
        raise RuntimeError(f"rank {rank()}: rank 0 failed in main_process_first (see its error)")
    with _working_alone():
        yield


@contextmanager
def _working_alone() -> Iterator[None]:
    global _alone
    _alone += 1
    try:
        yield
    finally:
        _alone -= 1


def main_process_value(flag: bool) -> bool:
    """Rank 0's `flag` on every rank (a decision all must share); `flag` in one process."""
    if not is_distributed():
        return flag
    value = torch.tensor([1 if flag else 0], dtype=torch.int64, device=comm_device())
    broadcast_([value], SETUP)
    return bool(value.item())


# ---- counting -------------------------------------------------------------------------------
def bytes_reduced() -> int:
    """Gradient bytes this process has all-reduced since the last reset."""
    return _bytes[GRADIENTS]


def communication_bytes() -> dict[str, int]:
    """Bytes this process sent through each kind of collective since the last reset."""
    return dict(_bytes)


def reset_bytes_reduced() -> None:
    """Zero every counter (gradients and the other kinds)."""
    _bytes.clear()


def gradient_bytes(tensors: list[torch.Tensor]) -> int:
    """Bytes one all-reduce of these tensors' gradients sends (what DDP would move per step)."""
    return sum(t.numel() * t.element_size() for t in tensors)


# ---- collectives ----------------------------------------------------------------------------
def all_reduce_gradients(
    tensors: list[torch.Tensor], bucket_bytes: int = DEFAULT_BUCKET_BYTES
) -> None:
    """Average the gradients of `tensors` over all processes; a no-op in one process."""
    if not is_distributed():
        return
    for t in tensors:
        if t.grad is None:
            t.grad = torch.zeros_like(t)
    _reduce_flat([t.grad for t in tensors], GRADIENTS, mean=True, bucket_bytes=bucket_bytes)


def all_reduce_(
    tensors: Sequence[torch.Tensor],
    kind: str,
    *,
    mean: bool = False,
    bucket_bytes: int = DEFAULT_BUCKET_BYTES,
) -> None:
    """Sum (or average) `tensors` in place over all processes; a no-op in one process."""
    if is_distributed() and tensors:
        _reduce_flat(list(tensors), kind, mean=mean, bucket_bytes=bucket_bytes)


@torch.no_grad()
def broadcast_(
    tensors: Sequence[torch.Tensor],
    kind: str,
    *,
    src: int = 0,
    bucket_bytes: int = DEFAULT_BUCKET_BYTES,
) -> None:
    """Overwrite `tensors` in place with rank `src`'s values; a no-op in one process."""
    if not is_distributed():
        return
    for bucket in _buckets(list(tensors), bucket_bytes):
        flat = torch.cat([t.reshape(-1) for t in bucket])
        dist.broadcast(flat, src=src)
        _bytes[kind] += flat.numel() * flat.element_size()
        _scatter_back(flat, bucket)


def all_gather_bytes(data: bytes, kind: str) -> list[bytes]:
    """Every rank's `data`, in rank order (lengths may differ); [data] in one process."""
    if not is_distributed():
        return [data]
    device = comm_device()
    local = torch.frombuffer(bytearray(data), dtype=torch.uint8).to(device) if data else None
    size = torch.tensor([len(data)], dtype=torch.int64, device=device)
    sizes = [torch.zeros_like(size) for _ in range(world_size())]
    dist.all_gather(sizes, size)
    longest = max(int(s) for s in sizes)
    padded = torch.zeros(longest, dtype=torch.uint8, device=device)
    if local is not None:
        padded[: len(data)] = local
    gathered = [torch.empty_like(padded) for _ in sizes]
    dist.all_gather(gathered, padded)
    _bytes[kind] += longest + size.element_size()
    return [bytes(g[: int(s)].cpu().numpy()) for g, s in zip(gathered, sizes, strict=True)]


class Collectives:
    """The collectives a fine-tuning method may use to keep its own state identical on every rank.

    The loop hands one to a method that defines `use_collectives(collectives)` (duck-typed, so
    the adapters layer needs no import of `training`); in one process every call is a no-op.
    """

    @property
    def world_size(self) -> int:
        return world_size()

    def all_reduce(self, tensors: Sequence[torch.Tensor], kind: str, *, mean: bool) -> None:
        all_reduce_(tensors, kind, mean=mean)

    def broadcast(self, tensors: Sequence[torch.Tensor], kind: str, *, src: int = 0) -> None:
        broadcast_(tensors, kind, src=src)


@torch.no_grad()
def _reduce_flat(tensors: list[torch.Tensor], kind: str, *, mean: bool, bucket_bytes: int) -> None:
    for bucket in _buckets(tensors, bucket_bytes):
        flat = torch.cat([t.reshape(-1) for t in bucket])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        if mean:
            flat /= dist.get_world_size()
        _bytes[kind] += flat.numel() * flat.element_size()
        _scatter_back(flat, bucket)


def _scatter_back(flat: torch.Tensor, bucket: list[torch.Tensor]) -> None:
    offset = 0
    for t in bucket:
        n = t.numel()
        t.copy_(flat[offset : offset + n].view_as(t))
        offset += n


def _buckets(tensors: list[torch.Tensor], bucket_bytes: int) -> list[list[torch.Tensor]]:
    """Consecutive groups of one dtype and device, each at most `bucket_bytes` (or one tensor)."""
    buckets: list[list[torch.Tensor]] = []
    size = 0
    for t in tensors:
        nbytes = t.numel() * t.element_size()
        last = buckets[-1] if buckets else None
        fits = last is not None and size + nbytes <= bucket_bytes
        if fits and last[0].dtype == t.dtype and last[0].device == t.device:
            last.append(t)
            size += nbytes
        else:
            buckets.append([t])
            size = nbytes
    return buckets
