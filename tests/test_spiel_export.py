"""SpIEL's output is a SparseDelta that composes with LT-SFT's; checkpoints resume identically."""

from __future__ import annotations

import shutil

import pytest
import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

from sparsexlt.adapters.merge import compose
from sparsexlt.adapters.registry import get_method, load_component
from sparsexlt.adapters.sparse_delta import DeltaInfo, SparseDelta
from sparsexlt.models.task_model import build_task_model
from sparsexlt.training import Source, TrainConfig, train
from sparsexlt.training.checkpoint import list_checkpoints
from training_support import one_thread, synthetic_dataset, tiny_classifier  # noqa: F401

pytestmark = pytest.mark.usefixtures("one_thread")


def _task_model(seed: int = 0):
    torch.manual_seed(seed)
    config = XLMRobertaConfig(
        vocab_size=100,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=16,
    )
    return build_task_model(XLMRobertaModel(config), "sequence-classification", 3, seed=seed)


def test_export_names_targets_and_composes_with_an_lt_sft_delta(tmp_path):
    model = _task_model()
    method = get_method("spiel-ag")(k=0.05)
    method.attach(model)
    for sw in method.weights:
        sw.phi.data.uniform_(0.5, 1.0)
        sw.merge()
    delta = method.export()
    method.detach()
    base = {n: p.detach().clone() for n, p in model.named_parameters()}
    assert delta.method == "spiel-ag" and delta.k == round(0.05 * _backbone_count(model))
    assert all(n.startswith("backbone.") and n.endswith(".weight") for n in delta.sparse)
    assert set(delta.new_parameters) == {n for n in base if n.startswith("head.")}
    name = "backbone.encoder.layer.0.attention.self.query.weight"
    idx, phi = delta.sparse[name]
    overlap = idx[:3].long()  # the LT-SFT-style delta shares 3 entries and adds one of its own
    extra = torch.tensor([int(i) for i in range(256) if i not in set(idx.tolist())][:1])
    other = SparseDelta(
        {name: (torch.cat([overlap, extra]), torch.full((4,), 10.0))},
        shapes={name: (16, 16)},
        info=DeltaInfo(method="lt-sft", base_fingerprint=delta.info.base_fingerprint),
    )
    delta.save(tmp_path / "spiel")
    loaded = load_component(tmp_path / "spiel")
    both = compose(loaded, other)
    both.apply(model)
    flat = dict(model.named_parameters())[name].detach().view(-1)
    torch.testing.assert_close(flat[overlap], base[name].view(-1)[overlap] + phi[:3] + 10.0)
    torch.testing.assert_close(flat[extra], base[name].view(-1)[extra] + 10.0)
    both.revert(model)
    assert all(torch.equal(p, base[n]) for n, p in model.named_parameters())


def _backbone_count(model) -> int:
    return sum(p.numel() for p in model.backbone.parameters())


def _run(out, method_name: str, steps: int, **extra) -> tuple:
    model = tiny_classifier(seed=0)
    method = get_method(method_name)(
        k=0.05,
        dense_modules=["classifier"],
        reselection_interval=4,
        selection_window=2,
        total_steps=steps,
    )
    config = TrainConfig(steps=steps, batch_size=8, lr=1e-2, checkpoint_every=7, **extra)
    result = train(
        model, method, [Source("en", "en", synthetic_dataset(64))], config, output_dir=out
    )
    losses = [h["loss"] for h in result.history if h["kind"] == "train"]
    return result.component, losses, method


@pytest.mark.parametrize("method_name", ["spiel-ag", "spiel-ma"])
def test_training_loop_resume_mid_window_continues_identically(tmp_path, method_name):
    whole, losses, method = _run(tmp_path / "a", method_name, 12, keep_checkpoints=5, log_every=1)
    assert method.selections == 2 and len(losses) == 12
    assert set(whole.new_parameters) == {
        "classifier.dense.weight",
        "classifier.dense.bias",
        "classifier.out_proj.weight",
        "classifier.out_proj.bias",
    }
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    for path in list_checkpoints(tmp_path / "b"):
        if not path.name.endswith("07"):  # keep only step 7: inside the window before step 8
            shutil.rmtree(path)
    shutil.rmtree(tmp_path / "b" / "component")
    resumed, _, method_b = _run(tmp_path / "b", method_name, 12, keep_checkpoints=5, log_every=1)
    assert method_b.selections == 2
    for name, (idx, values) in whole.sparse.items():
        assert torch.equal(resumed.sparse[name][0], idx), name
        assert torch.equal(resumed.sparse[name][1], values), name
    for name, tensor in whole.dense.items():
        assert torch.equal(resumed.dense[name], tensor), name
