"""Content hashes of components: the bytes of their tensors, hashed the same way everywhere.

`delta_key` is a SparseDelta's identity by content (names, dtypes, index and value bytes). It
is both `compose`'s canonical order of summation and what the training loop's resume check
records for a language SFT (`SparseDelta.content_hash`), so two deltas with different values
never pass for one another. `attachment.content_hash` hashes adapter components with the same
`tensor_bytes`.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from sparsexlt.adapters.sparse_delta import SparseDelta


def tensor_bytes(t: torch.Tensor) -> memoryview:
    """The raw bytes of `t` in row-major order, on the CPU, as a buffer for `hashlib`: no copy
    for a contiguous CPU tensor (a 1 GB embedding matrix is hashed in place). Flattened first:
    a 0-dim tensor cannot be viewed as bytes of another element size."""
    flat = t.detach().to("cpu").contiguous().reshape(-1)
    return memoryview(flat.view(torch.uint8).numpy())


def delta_key(delta: SparseDelta) -> str:
    """sha256 over the delta's names, and per name its tensors' dtypes and bytes (sparse:
    indices then values; dense: the tensor)."""
    h = hashlib.sha256()
    for name in sorted(delta.names()):
        h.update(name.encode())
        tensors = delta.sparse[name] if name in delta.sparse else (delta.dense[name],)
        for t in tensors:
            h.update(str(t.dtype).encode())
            h.update(tensor_bytes(t))
    return h.hexdigest()
