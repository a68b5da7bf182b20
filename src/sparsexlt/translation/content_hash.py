"""A full content hash of a translation model and its tokenizer: what keys conversions and caches.

Why not the base-model fingerprint (`sparsexlt.models.fingerprint`): it samples 64 values per
tensor, so a sparse fine-tune (SpIEL, LT-SFT) or a language code added in a spare embedding row
can leave it unchanged — and a conversion or translation cache keyed on it would then serve the
old model's outputs for the new one. This hash reads every byte instead.

Cost (measured on a 2-core CPU with SHA extensions): sha256 runs at ~1.4 GB/s, so NLLB-600M in
float32 (2.4 GB of unique weights) takes ~2 s — small next to loading and converting it.

Contract:
- every tensor of `state_dict()`, in sorted name order, contributes its name, dtype, shape and
  raw bytes; a tensor sharing storage with an earlier one (tied embeddings) contributes the
  earlier name instead of its bytes, so ties are hashed once and still count;
- the bytes are read in place (a contiguous CPU tensor is not copied), one tensor at a time;
- the tokenizer contributes its class, its full serialised form when it is a fast tokenizer
  (vocabulary, merges, normalizer, special tokens), else its vocabulary.
"""

from __future__ import annotations

import hashlib
from typing import Any

from torch import nn

from sparsexlt.adapters.tensor_hash import tensor_bytes
from sparsexlt.models.tokenizer_key import tokenizer_bytes

VERSION = b"sparsexlt-weights-sha256-v1"


def weights_sha256(model: nn.Module, tokenizer: Any) -> str:
    """Hex sha256 of every weight of `model` and of `tokenizer` (see the module contract)."""
    h = hashlib.sha256(VERSION)
    _update_state_dict(h, model)
    h.update(b"|tokenizer|")
    h.update(tokenizer_bytes(tokenizer))
    return h.hexdigest()


def _update_state_dict(h: Any, model: nn.Module) -> None:
    seen: dict[tuple[Any, ...], str] = {}
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach()
        h.update(f"{name}|{t.dtype}|{','.join(map(str, t.shape))}|".encode())
        if t.device.type == "meta":
            raise ValueError(f"parameter {name} is on the meta device: nothing to hash")
        alias = (
            t.device.type,
            t.untyped_storage().data_ptr(),
            t.storage_offset(),
            tuple(t.shape),
            t.stride(),
            t.dtype,
        )
        if alias in seen:
            h.update(f"same-as:{seen[alias]}".encode())
            continue
        seen[alias] = name
        h.update(tensor_bytes(t))
