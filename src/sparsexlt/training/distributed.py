"""Gradient synchronisation across processes, as one call between backward and optimizer step.

The loop calls `all_reduce_gradients(method.trainable_tensors())` after every language component
has been reverted and before the optimizer step. In a single process (torch.distributed not
initialised, or world size 1) it does nothing. Otherwise it averages the gradients: they are
flattened into buckets of one dtype (at most `bucket_bytes` each), summed with one all-reduce
per bucket, divided by the world size and copied back. A tensor without a gradient counts as
zeros, so every rank sends the same layout. Bytes sent are counted for benchmarks.
"""

from __future__ import annotations

import torch
import torch.distributed as dist

DEFAULT_BUCKET_BYTES = 64 * 2**20

_bytes_reduced = 0


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main_process() -> bool:
    """Only this process writes checkpoints and outputs."""
    return rank() == 0


def bytes_reduced() -> int:
    """Gradient bytes this process has all-reduced since the last reset."""
    return _bytes_reduced


def reset_bytes_reduced() -> None:
    global _bytes_reduced
    _bytes_reduced = 0


def gradient_bytes(tensors: list[torch.Tensor]) -> int:
    """Bytes one all-reduce of these tensors' gradients sends (what DDP would move per step)."""
    return sum(t.numel() * t.element_size() for t in tensors)


def all_reduce_gradients(
    tensors: list[torch.Tensor], bucket_bytes: int = DEFAULT_BUCKET_BYTES
) -> None:
    """Average the gradients of `tensors` over all processes; a no-op in one process."""
    global _bytes_reduced
    if not is_distributed():
        return
    for t in tensors:
        if t.grad is None:
            t.grad = torch.zeros_like(t)
    for bucket in _buckets(tensors, bucket_bytes):
        flat = torch.cat([t.grad.reshape(-1) for t in bucket])
        dist.all_reduce(flat, op=dist.ReduceOp.SUM)
        flat /= dist.get_world_size()
        _bytes_reduced += flat.numel() * flat.element_size()
        offset = 0
        for t in bucket:
            n = t.numel()
            t.grad.copy_(flat[offset : offset + n].view_as(t.grad))
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
