"""What must agree between the processes of one run, and what must differ.

Made the same on every rank:
- the model's initial floating state: `broadcast_model_state` copies rank 0's parameters and
  buffers to every rank once, before `attach` (a head initialised from another RNG state on
  another rank would otherwise train a different model). One model-sized transfer per run, as
  torch DDP does at construction; never again per step.
- everything `attach` draws (SpIEL's random initial indices, LoRA's A): it runs after the same
  `seed_everything(seed)` on every rank.

Made different on purpose, after `attach`: the random streams that act on examples. Every rank
reseeds python/numpy/torch with `rank_seed(seed, rank)` (dropout), and a collator that exposes a
`torch.Generator` as `.generator` (MLM masking) is reseeded with its initial seed + rank, so
ranks do not draw the same masks for different examples. Two processes therefore match one
process exactly only when training draws no random numbers (no dropout, fixed masks) — that is
how the equivalence tests define it.

Checkpoints: `gather_rank_states` collects every rank's RNG and collator states on rank 0 (as
JSON + safetensors bytes, never pickle). A resume under the same number of processes gives each
rank its own states back; under another number, rank 0's are restored and every rank is then
reseeded from (seed, rank, step) — still deterministic, but not the uninterrupted stream.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import torch
from safetensors.torch import load, save
from torch import nn

from sparsexlt.training import rng
from sparsexlt.training.distributed import (
    SETUP,
    STATE,
    all_gather_bytes,
    broadcast_,
    comm_device,
    is_distributed,
    is_main_process,
    rank,
    world_size,
)
from sparsexlt.training.multi_source import Source
from sparsexlt.training.tree_codec import pack, unpack
from sparsexlt.util.hashing import hash_json


def broadcast_model_state(model: nn.Module) -> None:
    """Every floating parameter and buffer of `model` := rank 0's (a no-op in one process)."""
    if not is_distributed():
        return
    tensors = [t for t in [*model.parameters(), *model.buffers()] if t.is_floating_point()]
    device = comm_device()
    staged = [t.data if t.device == device else t.data.to(device) for t in tensors]
    broadcast_(staged, SETUP)
    with torch.no_grad():
        for t, s in zip(tensors, staged, strict=True):
            if s is not t.data:
                t.copy_(s)


def rank_seed(seed: int, rank_index: int, step: int = 0) -> int:
    """A 31-bit seed for one rank's random streams, distinct per (seed, rank, step)."""
    return int(hash_json(["rank-seed", seed, rank_index, step])[:8], 16) & 0x7FFFFFFF


def seed_this_rank(seed: int, sources: Sequence[Source], step: int = 0) -> None:
    """Give this rank its own dropout and collator streams (only when distributed)."""
    if not is_distributed():
        return
    rng.seed_everything(rank_seed(seed, rank(), step))
    for source in sources:
        generator = getattr(source.collate, "generator", None)
        if isinstance(generator, torch.Generator):
            generator.manual_seed(generator.initial_seed() + rank())


def local_state(sources: Sequence[Source]) -> dict[str, Any]:
    """This rank's RNG and collator states (what differs between ranks)."""
    return {
        "rng": rng.capture(),
        "collators": {
            s.name: s.collate.state_dict() for s in sources if hasattr(s.collate, "state_dict")
        },
    }


def gather_rank_states(sources: Sequence[Source]) -> list[dict[str, Any]] | None:
    """Every rank's `local_state`, in rank order, on rank 0 (None elsewhere); all ranks call it.

    None in one process: the checkpoint's own RNG entry already is the only rank's state.
    """
    if not is_distributed():
        return None
    blobs = all_gather_bytes(_encode(local_state(sources)), STATE)
    return [_decode(b) for b in blobs] if is_main_process() else None


def restore_rank_state(
    states: list[dict[str, Any]] | None, sources: Sequence[Source], seed: int, step: int
) -> None:
    """After the checkpoint's shared state is back: this rank's own streams (see module doc)."""
    if not is_distributed():
        return
    if states is not None and len(states) == world_size():
        mine = states[rank()]
        rng.restore(mine["rng"])
        for source in sources:
            if source.name in mine["collators"]:
                source.collate.load_state_dict(mine["collators"][source.name])
        return
    seed_this_rank(seed, sources, step)


def _encode(state: dict[str, Any]) -> bytes:
    tree, tensors = pack(state, "r")
    head = json.dumps(tree, allow_nan=True).encode()
    return len(head).to_bytes(8, "little") + head + save(tensors)


def _decode(blob: bytes) -> dict[str, Any]:
    n = int.from_bytes(blob[:8], "little")
    tree = json.loads(blob[8 : 8 + n].decode())
    return unpack(tree, load(blob[8 + n :]))
