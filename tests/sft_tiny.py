"""Tiny models and random deltas shared by the tests/test_sft_*.py files (not a test module)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from torch import nn
from transformers import XLMRobertaConfig, XLMRobertaModel

from sparsexlt.adapters.sparse_delta import DeltaInfo, SparseDelta
from sparsexlt.models.fingerprint import fingerprint

VOCAB = 200
HIDDEN = 32


def tiny_config(**overrides) -> XLMRobertaConfig:
    values = dict(
        vocab_size=VOCAB,
        hidden_size=HIDDEN,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=40,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    values.update(overrides)
    return XLMRobertaConfig(**values)


def tiny_backbone(seed: int = 0, **overrides) -> XLMRobertaModel:
    torch.manual_seed(seed)
    return XLMRobertaModel(tiny_config(**overrides), add_pooling_layer=False).eval()


class TinyTaskModel(nn.Module):
    """TaskModel-shaped: `backbone` (AutoModel encoder) + `head`; names backbone.* / head.*."""

    def __init__(self, seed: int = 0, num_labels: int = 3):
        super().__init__()
        self.backbone = tiny_backbone(seed)
        torch.manual_seed(seed + 1000)
        self.head = nn.Sequential(
            nn.Linear(HIDDEN, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, num_labels)
        )

    def forward(self, input_ids, attention_mask=None, labels=None):
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask)
        logits = self.head(hidden.last_hidden_state[:, 0])
        loss = None if labels is None else nn.functional.cross_entropy(logits, labels)
        return SimpleNamespace(loss=loss, logits=logits)


def tiny_batch(seed: int = 0, n: int = 16, length: int = 12, num_labels: int = 3) -> dict:
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(5, VOCAB, (n, length), generator=g)
    input_ids[:, 0] = 0
    labels = input_ids[:, 1] % num_labels  # learnable from the first real token
    return {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids), "labels": labels}


def random_delta(
    model: nn.Module,
    names: list[str],
    per_param: int,
    seed: int,
    scale: float = 0.1,
    prefix: str = "backbone.",
    **info,
) -> SparseDelta:
    """Random sparse entries on the given parameters of `model` (names without `prefix`)."""
    g = torch.Generator().manual_seed(seed)
    params = dict(model.named_parameters())
    sparse, shapes = {}, {}
    for name in names:
        p = params[name]
        n = min(per_param, p.numel())
        idx = torch.randperm(p.numel(), generator=g)[:n]
        sparse[prefix + name] = (idx, torch.randn(n, generator=g) * scale)
        shapes[prefix + name] = tuple(p.shape)
    info.setdefault("base_fingerprint", fingerprint(model))
    return SparseDelta(sparse, shapes=shapes, info=DeltaInfo(**info))


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in model.named_parameters()}


def bitwise_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and torch.equal(a.view(torch.int32), b.view(torch.int32))


def folder_tensors(directory: Path) -> dict[str, torch.Tensor]:
    """Every `*.safetensors` in `directory`, loaded into {f"{file}:{key}": tensor}."""
    tensors = {}
    for f in sorted(directory.glob("*.safetensors")):
        tensors.update({f"{f.name}:{k}": v for k, v in load_file(str(f)).items()})
    return tensors


def legacy_entry(target: torch.Tensor) -> dict:
    """Encode the nonzeros of `target` the way composable-sft does (Fortran order, steps)."""
    flat_f = target.numpy().flatten(order="F")
    idx = np.nonzero(flat_f)[0]
    steps = np.diff(idx, prepend=0)
    return {
        "size": target.shape,
        "index_steps": torch.tensor(steps, dtype=torch.int64),
        "values": torch.tensor(flat_f[idx]),
    }


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny models run faster on one thread, and far faster when the CPUs are shared (two
    intra-op threads contending with other processes slowed these tests 4x); restored after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
