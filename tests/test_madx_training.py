"""`madx` through the one training loop: language adapters (MLM), multi-source task training with
the language adapter swapped per batch, the base left untouched, exports that rebuild the model."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset

from sft_tiny import bitwise_equal, snapshot
from sparsexlt.adapters.madx import MadxAdapter, active_components
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
from sparsexlt.training import Callback, RecordSources, Source, TrainConfig, train
from training_support import one_thread  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("one_thread")
LABELS = ["short", "long"]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    folder = build_tiny_encoder(tmp_path_factory.mktemp("enc") / "tiny", seed=0)
    return folder, load_tokenizer(folder)


def mlm_source(encoder, name: str, texts: list[str], seed: int) -> Source:
    _, tokenizer = encoder
    data = encode_text_for_mlm(Dataset.from_dict({"text": texts}), tokenizer, max_length=32)
    return Source(name, name, data, collate=MLMCollator(tokenizer, seed=seed))


def task_source(encoder, name: str, texts: list[str], component=None) -> Source:
    _, tokenizer = encoder
    rows = Dataset.from_dict(
        {
            "id": [str(i) for i in range(len(texts))],
            "text": texts,
            "label": ["long" if len(t) > 40 else "short" for t in texts],
        }
    )
    data = encode_dataset(rows, tokenizer, "sequence-classification", LABELS, 32)
    collate = make_collator("sequence-classification", tokenizer.pad_token_id)
    return Source(name, name, data, component, collate=collate)


def train_language_adapter(encoder, language: str, texts: list[str], out, steps: int = 8):
    folder, _ = encoder
    model = build_task_model(load_backbone(folder), "masked-lm", seed=0)
    base = snapshot(model)
    method = get_method("madx")(reduction_factor=4, language=language, seed=len(language))
    config = TrainConfig(steps=steps, batch_size=8, lr=1e-2, log_every=1, seed=1)
    source = mlm_source(encoder, language, texts, seed=2)
    result = train(model, method, [source], config, output_dir=out)
    return model, method, base, result


def test_a_language_adapter_trains_with_the_inverse_before_the_mlm_head(encoder, tmp_path):
    texts = default_tiny_texts()[:160]
    model, method, base, result = train_language_adapter(encoder, "xx", texts, tmp_path)
    assert result.steps == 8
    ups = [layer.up.weight for layer in method.component.modules.layers.values()]
    inv = method.component.modules.invertible
    assert all(u.abs().sum() > 0 for u in [*ups, inv.F.up.weight, inv.G.up.weight])  # 0 at start
    # The base (encoder and the frozen MLM head) never moved, not even during training.
    assert all(bitwise_equal(p, base[n]) for n, p in model.named_parameters())
    component = method.component
    assert component.role == "language" and component.modules.invertible is not None

    # The head reads inverse(last hidden state): its input is exactly that.
    seen = {}
    model.head.register_forward_hook(lambda m, args, out: seen.update(head_in=args[0]))
    batch = source_batch(mlm_source(encoder, "xx", texts, seed=3))
    with torch.no_grad():
        model.eval()(**batch)
        hidden = model.backbone(input_ids=batch["input_ids"]).last_hidden_state
        expected = component.modules.invertible.inverse(hidden)
    torch.testing.assert_close(seen["head_in"], expected)
    method.detach()
    assert active_components(model) == []

    saved = load_component(tmp_path / "component")
    assert isinstance(saved, MadxAdapter) and saved.role == "language"
    assert saved.info["language"] == "xx" and not saved.new_parameters


def source_batch(source: Source, n: int = 8) -> dict:
    return source.batch(range(n))


class ActiveAdapters(Callback):
    """Records, at every forward of `model`, which MAD-X components are active."""

    def __init__(self, model):
        self.forwards: list[list] = []
        model.register_forward_pre_hook(
            lambda m, args, kwargs: self.forwards.append(active_components(m)), with_kwargs=True
        )


def test_language_adapters_swap_per_batch_in_multi_source_task_training(encoder, tmp_path):
    folder, _ = encoder
    texts = default_tiny_texts()
    languages = {}
    for code, part in (("aa", texts[:80]), ("bb", texts[80:160])):
        _, method, _, result = train_language_adapter(encoder, code, part, tmp_path / code, 3)
        method.detach()
        languages[code] = load_component(tmp_path / code / "component")

    model = build_task_model(load_backbone(folder), "sequence-classification", 2, seed=0)
    base = snapshot(model)
    sources = [
        task_source(encoder, "aa", texts[:48], languages["aa"]),
        task_source(encoder, "bb", texts[48:96], languages["bb"]),
    ]
    watcher, record = ActiveAdapters(model), RecordSources()
    method = get_method("madx")(reduction_factor=4, task="length")
    config = TrainConfig(steps=6, batch_size=8, lr=1e-2, seed=0)
    result = train(model, method, sources, config, output_dir=tmp_path / "task", callbacks=[record])

    assert {b.language for b in record.batches} == {"aa", "bb"}
    assert len(watcher.forwards) == len(record.batches)
    for batch, active in zip(record.batches, watcher.forwards, strict=True):
        assert active == [languages[batch.language], method.component]
    assert active_components(model) == [method.component]  # between batches: task only
    for name, value in model.named_parameters():  # the encoder never moves; the head trains
        if not name.startswith("head."):
            assert bitwise_equal(value, base[name]), name
    assert any(not torch.equal(p, base[f"head.{n}"]) for n, p in model.head.named_parameters())

    # The export, stacked on a fresh base with a language adapter, rebuilds the trained model.
    batch = sources[1].batch(range(8))
    model.eval()
    languages["bb"].apply(model)
    with torch.no_grad():
        expected = model(**batch).logits
    languages["bb"].revert(model)
    method.detach()
    assert active_components(model) == []
    fresh = build_task_model(load_backbone(folder), "sequence-classification", 2, seed=7).eval()
    task = load_component(tmp_path / "task" / "component")
    assert task.role == "task" and task.info["task"] == "length"
    task.apply(fresh)
    languages["bb"].apply(fresh)
    with torch.no_grad():
        torch.testing.assert_close(fresh(**batch).logits, expected)
    assert result.steps == 6


class Crash(Exception):
    pass


class CrashAt(Callback):
    def __init__(self, step: int):
        self.step = step

    def on_step_end(self, step, record):
        if step == self.step:
            raise Crash(step)


def test_an_interrupted_task_run_resumes_to_the_same_adapter(encoder, tmp_path):
    folder, _ = encoder
    texts = default_tiny_texts()[:48]

    def run(out, callbacks=()):
        model = build_task_model(load_backbone(folder), "sequence-classification", 2, seed=0)
        method = get_method("madx")(reduction_factor=4)
        config = TrainConfig(steps=5, batch_size=8, lr=1e-2, checkpoint_every=2, seed=1)
        source = task_source(encoder, "en", texts)
        return train(model, method, [source], config, output_dir=out, callbacks=callbacks)

    with pytest.raises(Crash):
        run(tmp_path / "a", [CrashAt(3)])
    resumed, reference = run(tmp_path / "a").component, run(tmp_path / "b").component
    for key, value in reference.tensors().items():
        torch.testing.assert_close(resumed.tensors()[key], value, rtol=1e-6, atol=1e-7)
