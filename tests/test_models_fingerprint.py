"""Base-model fingerprint: stable, sensitive, dtype-robust, the same through a TaskModel, fast."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from sparsexlt.models import base_fingerprint, build_task_model, fingerprint, load_backbone
from sparsexlt.models.fingerprint import SAMPLES_PER_TENSOR, sample_indices

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_sample_indices_are_evenly_strided_and_bounded():
    assert sample_indices(10) == list(range(10))
    idx = sample_indices(1000)
    assert len(idx) == SAMPLES_PER_TENSOR
    assert idx[0] == 0 and idx[-1] == 999
    assert idx == sorted(set(idx))


def test_stable_across_two_loads(tiny_encoder_dir):
    a, b = load_backbone(tiny_encoder_dir), load_backbone(tiny_encoder_dir)
    assert a.sparsexlt_fingerprint == b.sparsexlt_fingerprint == fingerprint(a)
    assert len(a.sparsexlt_fingerprint) == 64


def test_changes_when_one_sampled_value_changes(tiny_encoder_dir):
    model = load_backbone(tiny_encoder_dir)
    before = fingerprint(model)
    with torch.no_grad():
        model.encoder.layer[1].output.dense.weight.view(-1)[0] += 0.5  # index 0 is always sampled
    assert fingerprint(model) != before


def test_changes_with_shape_even_when_sampled_values_agree():
    a = nn.Linear(4, 4, bias=False)
    b = nn.Linear(8, 2, bias=False)  # weight [2, 8]
    with torch.no_grad():
        b.weight.copy_(a.weight.reshape(2, 8))
    assert torch.equal(a.weight.reshape(-1), b.weight.reshape(-1))
    assert fingerprint(a) != fingerprint(b)


def test_same_for_float32_and_bfloat16_loads(tiny_encoder_dir):
    fp32 = load_backbone(tiny_encoder_dir)
    bf16 = load_backbone(tiny_encoder_dir, dtype=torch.bfloat16)
    assert bf16.dtype == torch.bfloat16
    assert fp32.sparsexlt_fingerprint == bf16.sparsexlt_fingerprint


def test_same_for_task_model_and_its_backbone(tiny_encoder_dir):
    backbone = load_backbone(tiny_encoder_dir)
    model = build_task_model(backbone, "sequence-classification", num_labels=3)
    assert fingerprint(model) == fingerprint(backbone) == backbone.sparsexlt_fingerprint
    assert base_fingerprint(model) == backbone.sparsexlt_fingerprint


def test_base_fingerprint_is_the_one_stored_before_any_change(tiny_encoder_dir):
    backbone = load_backbone(tiny_encoder_dir)
    model = build_task_model(backbone, "token-classification", num_labels=2)
    stored = base_fingerprint(model)
    with torch.no_grad():
        backbone.embeddings.word_embeddings.weight.view(-1)[0] += 1.0  # a merged delta
    assert base_fingerprint(model) == stored
    assert fingerprint(model) != stored
    del backbone.sparsexlt_fingerprint
    assert base_fingerprint(model) == fingerprint(model)  # computed when nothing is stored


def test_fast_on_a_100m_parameter_model():
    big = nn.ParameterList(nn.Parameter(torch.empty(768, 768)) for _ in range(180))
    assert sum(p.numel() for p in big.parameters()) > 100_000_000
    start = time.perf_counter()
    fingerprint(big)
    elapsed = time.perf_counter() - start
    print(f"fingerprint of 106M parameters: {elapsed * 1000:.0f} ms")
    assert elapsed < 2.0


def test_weights_missing_from_the_checkpoint_are_seeded(
    tiny_encoder_dir, tmp_path, capsys, monkeypatch
):
    import shutil

    from safetensors.torch import load_file, save_file

    folder = tmp_path / "partial"
    shutil.copytree(tiny_encoder_dir, folder)
    weights = load_file(folder / "model.safetensors")
    del weights["roberta.encoder.layer.1.intermediate.dense.weight"]
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    monkeypatch.setenv("SPARSEXLT_QUIET", "0")
    a, b = load_backbone(folder), load_backbone(folder)
    assert "encoder.layer.1.intermediate.dense.weight" in capsys.readouterr().err
    assert torch.equal(
        a.encoder.layer[1].intermediate.dense.weight, b.encoder.layer[1].intermediate.dense.weight
    )
    assert a.sparsexlt_fingerprint == b.sparsexlt_fingerprint
