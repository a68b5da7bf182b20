"""Import of composable-sft `pytorch_diff.bin` files (column-major index steps)."""

from __future__ import annotations

import pytest
import torch

from sft_tiny import (
    TinyTaskModel,
    legacy_entry,
    one_torch_thread,  # noqa: F401  (autouse fixture)
)
from sparsexlt.adapters.legacy_import import fortran_to_row_major, import_legacy_sft
from sparsexlt.errors import DataFormatError


def test_fortran_conversion_by_value():
    t = torch.arange(24).reshape(2, 3, 4)
    f_flat = torch.tensor(t.numpy().flatten(order="F"))
    for f in range(24):
        assert t.view(-1)[fortran_to_row_major(torch.tensor([f]), (2, 3, 4))].item() == f_flat[f]


def test_import_maps_names_converts_indices_and_applies(tmp_path):
    model = TinyTaskModel(seed=0)
    query = torch.zeros(32, 32)
    query[0, 5], query[3, 0], query[31, 31], query[2, 7] = 1.5, -2.0, 3.0, 4.0
    bias = torch.zeros(32)
    bias[[0, 9]] = torch.tensor([0.5, 0.25])
    head_w = torch.randn(3, 32)
    data = {
        "diffs": {
            "roberta.encoder.layer.0.attention.self.query.weight": legacy_entry(query),
            "roberta.encoder.layer.1.output.dense.bias": legacy_entry(bias),
        },
        "abs": {"classifier.2.weight": head_w},
    }
    folder = tmp_path / "legacy"
    folder.mkdir()
    torch.save(data, folder / "pytorch_diff.bin")
    delta = import_legacy_sft(folder)
    q = "backbone.encoder.layer.0.attention.self.query.weight"
    assert set(delta.sparse) == {q, "backbone.encoder.layer.1.output.dense.bias"}
    assert delta.new_parameters == {"head.2.weight"} and delta.k == 6
    idx, values = delta.sparse[q]
    assert idx.dtype == torch.int32 and torch.all(idx[1:] > idx[:-1])
    before = model.backbone.encoder.layer[0].attention.self.query.weight.detach().clone()
    delta.apply(model)
    assert torch.equal(model.backbone.encoder.layer[0].attention.self.query.weight, before + query)
    assert torch.equal(model.head[2].weight, head_w)
    assert (
        delta.info.extra["legacy_names"][q] == "roberta.encoder.layer.0.attention.self.query.weight"
    )


def test_prefix_option_and_errors(tmp_path):
    path = tmp_path / "pytorch_diff.bin"
    torch.save(
        {"diffs": {"xlmr.layers.0.w": legacy_entry(torch.tensor([[0.0, 1.0]]))}, "abs": {}}, path
    )
    with pytest.raises(DataFormatError, match="--prefix"):
        import_legacy_sft(path)
    delta = import_legacy_sft(path, prefix="xlmr")
    assert list(delta.sparse) == ["backbone.layers.0.w"]
    torch.save({"weights": {}}, path)
    with pytest.raises(DataFormatError, match="'diffs' and 'abs'"):
        import_legacy_sft(path)
    bad = legacy_entry(torch.tensor([[0.0, 1.0]]))
    bad["index_steps"] = torch.tensor([5])
    torch.save({"diffs": {"embeddings.w": bad}, "abs": {}}, path)
    with pytest.raises(DataFormatError, match="embeddings.w: index out of range"):
        import_legacy_sft(path)
