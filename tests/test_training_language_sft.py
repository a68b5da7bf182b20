"""The loop with the real pieces: TaskModel / MaskedLMModel, encoders, MLM collator, methods.

A language SFT trains on a MaskedLMModel with the masking collator; an interrupted run resumed
from its checkpoint must end with the same φ as an uninterrupted one, for every method (LT-SFT
crosses its phase boundary, SpIEL reselects, the collator's generator is restored).
"""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset

from sparsexlt.adapters.registry import get_method, load_component
from sparsexlt.models import (
    MLMCollator,
    build_task_model,
    build_tiny_encoder,
    default_tiny_texts,
    encode_dataset,
    encode_text_for_mlm,
    load_backbone,
    load_tokenizer,
    make_collator,
)
from sparsexlt.training import Callback, Source, TrainConfig, train
from training_support import one_thread  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    folder = build_tiny_encoder(tmp_path_factory.mktemp("enc") / "tiny", seed=0)
    return folder, load_tokenizer(folder)


@pytest.fixture(scope="module")
def mlm_data(encoder):
    _, tokenizer = encoder
    texts = Dataset.from_dict({"text": default_tiny_texts()[:200]})
    return encode_text_for_mlm(texts, tokenizer, max_length=32)


class Crash(Exception):
    pass


class CrashAt(Callback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, step, record):
        if step == self.step:
            raise Crash(step)


def language_run(encoder, data, method_name, hparams, out, callbacks=()):
    folder, tokenizer = encoder
    model = build_task_model(load_backbone(folder), "masked-lm", seed=0)
    source = Source("xx-text", "xx", data, collate=MLMCollator(tokenizer, seed=3))
    config = TrainConfig(steps=4, batch_size=8, lr=1e-2, checkpoint_every=3, log_every=1, seed=5)
    method = get_method(method_name)(**hparams)
    return model, train(model, method, [source], config, output_dir=out, callbacks=callbacks)


METHODS = {
    "lt-sft": {"k": 300, "language_sft": True},  # phases full (steps 1-4), sparse (5-8)
    "spiel-ag": {"k": 300, "language_sft": True, "reselection_interval": 3, "selection_window": 1},
    "full": {},
}


@pytest.mark.parametrize("method_name", sorted(METHODS))
def test_interrupted_language_sft_resumes_to_the_same_phi(encoder, mlm_data, method_name, tmp_path):
    hparams = METHODS[method_name]
    crash_at = 7 if method_name == "lt-sft" else 4  # after the checkpoint of step 6 / 3
    with pytest.raises(Crash):
        language_run(encoder, mlm_data, method_name, hparams, tmp_path / "a", [CrashAt(crash_at)])
    _, resumed = language_run(encoder, mlm_data, method_name, hparams, tmp_path / "a")
    _, reference = language_run(encoder, mlm_data, method_name, hparams, tmp_path / "b")

    assert resumed.steps == reference.steps == (8 if method_name == "lt-sft" else 4)
    a, b = resumed.component, reference.component
    assert set(a.sparse) == set(b.sparse) and set(a.dense) == set(b.dense)
    for name, (idx, values) in b.sparse.items():
        assert torch.equal(a.sparse[name][0], idx)
        torch.testing.assert_close(a.sparse[name][1], values, rtol=1e-6, atol=1e-7)
    for name, dense in b.dense.items():
        torch.testing.assert_close(a.dense[name], dense, rtol=1e-6, atol=1e-7)
    losses = [h["loss"] for h in reference.history]
    assert [h["loss"] for h in resumed.history] == pytest.approx(losses, rel=1e-6)
    if method_name != "full":
        assert a.k == 300


def test_full_on_a_masked_lm_keeps_the_frozen_decoder(encoder, mlm_data, tmp_path):
    model, result = language_run(encoder, mlm_data, "full", {}, tmp_path)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen and not frozen & set(result.component.dense)
    assert all(
        n.startswith("backbone.")
        for n in result.component.dense
        if n not in result.component.new_parameters
    )


def test_full_export_on_a_task_model_rebuilds_the_trained_model(encoder, tmp_path):
    folder, tokenizer = encoder
    texts = default_tiny_texts()[:48]
    rows = Dataset.from_dict(
        {
            "id": [str(i) for i in range(48)],
            "text": texts,
            "label": ["long" if len(t) > 40 else "short" for t in texts],
        }
    )
    data = encode_dataset(rows, tokenizer, "sequence-classification", ["short", "long"], 32)
    collate = make_collator("sequence-classification", tokenizer.pad_token_id)
    model = build_task_model(load_backbone(folder), "sequence-classification", 2, seed=0)
    base = {n: p.detach().clone() for n, p in model.named_parameters()}
    method = get_method("full")()
    config = TrainConfig(steps=6, batch_size=8, lr=1e-2)
    result = train(
        model,
        method,
        [Source("en", "en", data, collate=collate)],
        config,
        output_dir=tmp_path / "run",
    )
    delta = result.component
    assert delta.method == "full" and delta.k == 0
    assert set(delta.new_parameters) == {n for n in base if n.startswith("head.")}
    assert set(delta.dense) == set(base)

    batch = collate([data[i] for i in range(8)])
    with torch.no_grad():
        trained_logits = model.eval()(**batch).logits
    fresh = build_task_model(load_backbone(folder), "sequence-classification", 2, seed=9)
    loaded = load_component(tmp_path / "run" / "component")
    loaded.apply(fresh)
    with torch.no_grad():
        torch.testing.assert_close(
            fresh.eval()(**batch).logits, trained_logits, rtol=1e-5, atol=1e-5
        )
    method.detach()
    for name, value in model.named_parameters():
        assert torch.equal(value, base[name]), name
