"""`lora`: budget K, the real training loop, export/apply/revert, merged vs unmerged, files."""

from __future__ import annotations

import json

import pytest
import torch
from torch.utils.data import default_collate

from sft_tiny import TinyTaskModel, bitwise_equal, snapshot, tiny_batch
from sparsexlt.adapters.lora import LoraComponent, LoraMethod
from sparsexlt.adapters.lora.injection import lora_layers
from sparsexlt.adapters.registry import get_method, load_component
from sparsexlt.errors import IncompatibleModelError
from sparsexlt.training import Callback, Source, TrainConfig, train
from training_support import one_thread, synthetic_dataset, tiny_classifier  # noqa: F401

pytestmark = pytest.mark.usefixtures("one_thread")


def trained_component(
    seed: int = 0, steps: int = 4, model=None, batch=None, **hparams
) -> tuple[LoraComponent, dict]:
    """A LoRA trained for a few plain steps (so B is not zero), with the trained outputs."""
    model = model if model is not None else TinyTaskModel(seed=0)
    method = get_method("lora")(seed=seed, **hparams)
    method.attach(model)
    optimizer = method.build_optimizer(lr=0.05)
    batch = batch if batch is not None else tiny_batch(seed)
    for _ in range(steps):
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    with torch.no_grad():
        logits = model(**batch).logits
    component = method.export()
    method.detach()
    return component, {"batch": batch, "logits": logits}


@pytest.mark.parametrize("k", [300, 1000, 5000, 0.05])
def test_k_sets_the_trainable_lora_count_within_half_a_matrix(k):
    model = TinyTaskModel()
    encoder_size = sum(p.numel() for p in model.backbone.parameters())
    method = get_method("lora")(k=k)
    method.attach(model)
    lora = [
        t for t in method.trainable_tensors() if not any(t is p for p in model.head.parameters())
    ]
    count = sum(t.numel() for t in lora)
    assert count == method.lora_count
    requested = method.k_requested
    if isinstance(k, int):
        assert requested == k
    else:
        assert requested == round(k * encoder_size)
    assert abs(count - requested) <= (32 + 64) / 2  # largest in + out of the tiny encoder
    assert method.export().k == count


def test_loss_falls_through_the_training_loop_and_only_lora_and_head_move(tmp_path):
    model = tiny_classifier(seed=0)  # XLM-R ...ForSequenceClassification: encoder `roberta`
    base = snapshot(model)
    method = get_method("lora")(r=4)
    config = TrainConfig(steps=60, batch_size=16, lr=1e-2, warmup_ratio=0.1, log_every=10)
    result = train(
        model, method, [Source("en", "en", synthetic_dataset(64))], config, output_dir=tmp_path
    )
    losses = [h["loss"] for h in result.history if h["kind"] == "train"]
    assert losses[0] > 0.6 and losses[-1] < 0.2 * losses[0]
    component = load_component(tmp_path / "component")
    assert isinstance(component, LoraComponent)
    assert set(component.new_parameters) == {n for n in base if n.startswith("classifier.")}
    manifest = json.loads((tmp_path / "component" / "adapter.json").read_text())
    assert manifest["method"] == "lora" and manifest["r"] == 4 and len(manifest["targets"]) == 12
    method.detach()
    assert not lora_layers(model.roberta)
    for name, value in model.named_parameters():
        if not name.startswith("classifier."):
            assert bitwise_equal(value, base[name]), name


def test_export_applied_to_a_fresh_base_reproduces_the_trained_outputs(tmp_path):
    component, trained = trained_component()
    assert component.k > 0 and any(f.b.abs().sum() > 0 for f in component.factors.values())
    component.save(tmp_path / "lora")
    loaded = load_component(tmp_path / "lora")
    fresh = TinyTaskModel(seed=0)
    torch.manual_seed(123)
    for p in fresh.head.parameters():  # a different head: the component must bring its own
        p.data.normal_()
    loaded.apply(fresh)
    with torch.no_grad():
        torch.testing.assert_close(fresh(**trained["batch"]).logits, trained["logits"])


def test_revert_is_bit_exact_and_unmerged_matches_merged():
    component, trained = trained_component()
    model = TinyTaskModel(seed=0)
    base = snapshot(model)
    component.apply(model)
    assert not lora_layers(model.backbone)  # merged: no extra modules, no extra latency
    with torch.no_grad():
        merged = model(**trained["batch"]).logits
    component.revert(model)
    assert all(bitwise_equal(p, base[n]) for n, p in model.named_parameters())

    component.apply(model, merged=False)
    layers = lora_layers(model.backbone)
    assert len(layers) == 12
    for name, layer in layers.items():  # unmerged: the base weights are not touched
        assert bitwise_equal(layer.base_layer.weight, base[f"backbone.{name}.weight"])
    with torch.no_grad():
        unmerged = model(**trained["batch"]).logits
    torch.testing.assert_close(unmerged, merged, rtol=1e-5, atol=1e-5)
    component.revert(model)
    assert not lora_layers(model.backbone) and not hasattr(model.backbone, "peft_config")
    assert snapshot(model).keys() == base.keys()
    assert all(bitwise_equal(p, base[n]) for n, p in model.named_parameters())


def test_language_and_task_lora_compose_by_merging_both():
    task, _ = trained_component(seed=1)
    language, _ = trained_component(seed=2, language_sft=True)
    assert not language.new_parameters and task.new_parameters
    model = TinyTaskModel(seed=0)
    base = snapshot(model)
    language.apply(model)
    task.apply(model)
    name = "encoder.layer.0.attention.self.query"
    expected = (
        base[f"backbone.{name}.weight"]
        + language.factors[name].delta()
        + task.factors[name].delta()
    )
    torch.testing.assert_close(model.backbone.get_submodule(name).weight, expected)
    task.revert(model)
    language.revert(model)
    assert all(bitwise_equal(p, base[n]) for n, p in model.named_parameters())


def test_lora_language_components_switch_per_batch_under_a_training_task_lora(tmp_path):
    batch = default_collate(synthetic_dataset(8, seed=9))
    languages = {
        code: trained_component(seed, model=tiny_classifier(0), batch=batch, language_sft=True)[0]
        for code, seed in [("a", 3), ("b", 4)]
    }
    model = tiny_classifier(seed=0)
    base = snapshot(model)
    query = "roberta.encoder.layer.0.attention.self.query"
    seen: list[tuple[str, bool]] = []

    class Watch(Callback):
        def on_micro_batch(self, batch):  # language applied, merged into peft's base_layer
            weight = model.get_submodule(query).base_layer.weight
            seen.append((batch.language, not torch.equal(weight, base[f"{query}.weight"])))

    sources = [
        Source("a", "a", synthetic_dataset(16, seed=1), languages["a"]),
        Source("b", "b", synthetic_dataset(16, seed=2), languages["b"]),
    ]
    method = get_method("lora")(r=2)
    config = TrainConfig(steps=6, batch_size=8, lr=1e-2)
    train(model, method, sources, config, output_dir=tmp_path, callbacks=[Watch()])
    assert {lang for lang, _ in seen} == {"a", "b"} and all(moved for _, moved in seen)
    assert not any(c.is_applied(model) for c in languages.values())
    assert torch.equal(model.get_submodule(query).base_layer.weight, base[f"{query}.weight"])
    method.detach()
    for name, value in model.named_parameters():
        if not name.startswith("classifier."):
            assert bitwise_equal(value, base[name]), name


def test_mismatched_base_and_missing_modules_are_clear_errors():
    component, _ = trained_component()
    other = TinyTaskModel(seed=5)
    with pytest.raises(IncompatibleModelError, match="fingerprint mismatch"):
        component.apply(other)
    component.info["base_fingerprint"] = None
    narrowed = LoraComponent(
        {"encoder.layer.9.attention.self.query": next(iter(component.factors.values()))}
    )
    with pytest.raises(IncompatibleModelError, match="layer.9"):
        narrowed.apply(other)


def test_the_method_is_registered_and_rejects_a_second_lora():
    assert get_method("lora").__mro__[1] is LoraMethod
    model = TinyTaskModel()
    get_method("lora")(r=1).attach(model)
    with pytest.raises(Exception, match="already holds LoRA layers"):
        get_method("lora")(r=1).attach(model)


class Crash(Exception):
    pass


class CrashAt(Callback):
    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, step, record):
        if step == self.step:
            raise Crash(step)


def test_an_interrupted_run_resumes_to_the_same_lora(tmp_path):
    def run(out, callbacks=()):
        method = get_method("lora")(k=500, seed=3)
        config = TrainConfig(steps=6, batch_size=8, lr=1e-2, checkpoint_every=2, seed=1)
        source = Source("en", "en", synthetic_dataset(32))
        model = tiny_classifier(seed=0)
        return train(model, method, [source], config, output_dir=out, callbacks=callbacks)

    with pytest.raises(Crash):
        run(tmp_path / "a", [CrashAt(3)])
    resumed, reference = run(tmp_path / "a").component, run(tmp_path / "b").component
    assert resumed.factors.keys() == reference.factors.keys()
    for name, f in reference.factors.items():
        torch.testing.assert_close(resumed.factors[name].a, f.a, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(resumed.factors[name].b, f.b, rtol=1e-6, atol=1e-7)
    for name, value in reference.new_parameters.items():
        torch.testing.assert_close(resumed.new_parameters[name], value, rtol=1e-6, atol=1e-7)
