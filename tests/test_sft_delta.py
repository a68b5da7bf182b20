"""SparseDelta: file round trip, validation, apply/revert exactness, compatibility errors."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from sft_tiny import (
    TinyTaskModel,
    bitwise_equal,
    one_torch_thread,  # noqa: F401  (autouse fixture)
    random_delta,
    snapshot,
    tiny_backbone,
)
from sparsexlt.adapters.registry import load_component
from sparsexlt.adapters.sparse_delta import DeltaInfo, SparseDelta
from sparsexlt.errors import DataFormatError, DeterministicError, IncompatibleModelError

NAMES = [
    "embeddings.word_embeddings.weight",
    "encoder.layer.0.attention.self.query.weight",
    "encoder.layer.1.output.dense.bias",
]


@pytest.fixture
def model():
    return TinyTaskModel(seed=0)


def test_save_load_round_trip(model, tmp_path):
    delta = random_delta(model.backbone, NAMES, 50, seed=1, task="senti", language="ind")
    delta = SparseDelta(
        delta.sparse,
        {"head.2.weight": torch.randn(3, 32)},
        delta.shapes,
        ["head.2.weight"],
        delta.info,
    )
    out = delta.save(tmp_path / "sft")
    manifest = json.loads((out / "sft.json").read_text())
    tensors = load_file(out / "sft.safetensors")
    assert manifest["method"] == "lt-sft" and manifest["k"] == 50 + 50 + 32
    assert manifest["shapes"]["backbone.embeddings.word_embeddings.weight"] == [200, 32]
    assert manifest["new_parameters"] == ["head.2.weight"]
    assert manifest["library_version"] and manifest["base_fingerprint"]
    assert tensors["backbone.encoder.layer.1.output.dense.bias.indices"].dtype == torch.int32
    back = load_component(out)
    assert isinstance(back, SparseDelta) and back.k == 132 and back.info.task == "senti"
    for name, (idx, values) in delta.sparse.items():
        assert torch.equal(back.sparse[name][0], idx) and torch.equal(back.sparse[name][1], values)
    assert torch.equal(back.dense["head.2.weight"], delta.dense["head.2.weight"])
    assert back.new_parameters == {"head.2.weight"}
    with pytest.raises(FileExistsError):
        delta.save(out)


def test_indices_are_sorted_on_construction():
    delta = SparseDelta(
        {"w": (torch.tensor([5, 1, 3]), torch.tensor([50.0, 10.0, 30.0]))}, shapes={"w": (2, 3)}
    )
    assert delta.sparse["w"][0].tolist() == [1, 3, 5]
    assert delta.sparse["w"][1].tolist() == [10.0, 30.0, 50.0]


@pytest.mark.parametrize(
    ("indices", "problem"),
    [
        (torch.tensor([3, 1], dtype=torch.int32), "not sorted and unique"),
        (torch.tensor([1, 1], dtype=torch.int32), "not sorted and unique"),
        (torch.tensor([1, 6], dtype=torch.int32), "out of range"),
        (torch.tensor([1, 2], dtype=torch.int64), "int64"),
        (torch.tensor([1, 2], dtype=torch.int16), "dtype"),
    ],
)
def test_load_rejects_bad_indices_naming_parameter_and_file(tmp_path, indices, problem):
    out = SparseDelta(
        {"backbone.w": (torch.tensor([0, 1]), torch.ones(2))}, shapes={"backbone.w": (2, 3)}
    ).save(tmp_path / "sft")
    tensors = load_file(out / "sft.safetensors")
    tensors["backbone.w.indices"] = indices
    save_file(tensors, out / "sft.safetensors")
    with pytest.raises(DataFormatError, match=problem) as err:
        SparseDelta.load(out)
    assert "backbone.w" in str(err.value) and "sft.safetensors" in str(err.value)


def test_load_rejects_wrong_k_and_missing_files(tmp_path):
    out = SparseDelta({"w": (torch.tensor([0]), torch.ones(1))}, shapes={"w": (2,)}).save(
        tmp_path / "a"
    )
    manifest = json.loads((out / "sft.json").read_text())
    manifest["k"] = 7
    (out / "sft.json").write_text(json.dumps(manifest))
    with pytest.raises(DataFormatError, match="k=7"):
        SparseDelta.load(out)
    with pytest.raises(DataFormatError, match="missing"):
        SparseDelta.load(tmp_path / "nothing")


def test_apply_revert_is_bit_exact(model):
    before = snapshot(model)
    delta = random_delta(model.backbone, NAMES, 400, seed=2, scale=1e-3)
    delta.apply(model)
    after = snapshot(model)
    changed = sum(int((after[n] != before[n]).sum()) for n in before)
    assert changed == 400 + 400 + 32  # the bias has only 32 entries
    for name, (idx, values) in delta.sparse.items():
        flat = after[name].view(-1)[idx.long()]
        assert torch.equal(flat, before[name].view(-1)[idx.long()] + values)
    delta.revert(model)
    for name, tensor in snapshot(model).items():
        assert bitwise_equal(tensor, before[name]), name


def test_float_addition_is_not_invertible_so_revert_must_restore():
    """Why apply saves originals: (w + a) − a differs from w for these values."""
    w, a = torch.tensor([0.1, 1e-8, 3.0]), torch.tensor([1e8, 1.0, 1e-7])
    assert not torch.equal((w + a) - a, w)


def test_apply_to_bare_backbone_strips_prefix(model):
    backbone = tiny_backbone(seed=0)
    delta = random_delta(backbone, NAMES, 30, seed=3)
    delta.apply(backbone)
    delta.apply(model)  # the same delta on a TaskModel whose backbone equals `backbone`
    for name, p in backbone.named_parameters():
        assert torch.equal(p, dict(model.named_parameters())["backbone." + name])
    delta.revert(backbone)
    with pytest.raises(DeterministicError, match="already applied"):
        delta.apply(model)
    delta.revert(model)
    with pytest.raises(DeterministicError, match="not applied"):
        delta.revert(model)


def test_new_parameters_are_absolute_and_reverted(model):
    head = torch.full((3, 32), 0.25)
    delta = SparseDelta(dense={"head.2.weight": head}, new_parameters=["head.2.weight"])
    before = model.head[2].weight.detach().clone()
    delta.apply(model)
    assert torch.equal(model.head[2].weight, head)
    delta.revert(model)
    assert torch.equal(model.head[2].weight, before)


def test_fingerprint_mismatch_is_named(model):
    delta = random_delta(model.backbone, NAMES, 10, seed=4)
    other = TinyTaskModel(seed=1)
    before = snapshot(other)
    with pytest.raises(IncompatibleModelError, match="fingerprint mismatch"):
        delta.apply(other)
    assert all(torch.equal(p, before[n]) for n, p in other.named_parameters())
    delta.apply(other, check_fingerprint=False)


def test_missing_and_mis_shaped_parameters_are_named(model):
    delta = SparseDelta(
        {"backbone.encoder.layer.7.output.dense.bias": (torch.tensor([0]), torch.ones(1))},
        shapes={"backbone.encoder.layer.7.output.dense.bias": (32,)},
    )
    with pytest.raises(IncompatibleModelError, match=r"encoder\.layer\.7\.output\.dense\.bias"):
        delta.apply(model)
    wide = tiny_backbone(seed=0, intermediate_size=80)
    delta = random_delta(model.backbone, ["encoder.layer.0.intermediate.dense.weight"], 5, seed=5)
    with pytest.raises(IncompatibleModelError, match=r"intermediate\.dense\.weight.*\[64, 32\]"):
        delta.apply(wide, check_fingerprint=False)


def test_fingerprint_survives_in_place_merges(model):
    """A model built without load_backbone gets its base fingerprint stored on first apply."""
    a = random_delta(model.backbone, NAMES, 2000, seed=6)
    b = random_delta(model.backbone, NAMES, 2000, seed=7)
    a.apply(model)
    b.apply(model)  # would fail if the fingerprint were recomputed from the merged weights
    b.revert(model)
    a.revert(model)


def test_info_defaults():
    info = DeltaInfo()
    assert info.method == "lt-sft" and info.library_version
