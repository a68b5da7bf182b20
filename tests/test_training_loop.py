"""The one training loop: loss falls, accumulation, multi-source switching, phases, evaluation."""

from __future__ import annotations

import json

import pytest
import torch

from sparsexlt.adapters.registry import get_method
from sparsexlt.training import Callback, RecordSources, Source, TrainConfig, train
from sparsexlt.training.checkpoint import latest_checkpoint, load_checkpoint
from training_support import (  # noqa: F401 - one_thread is a fixture
    ShiftComponent,
    TwoPhaseMethod,
    flat_state,
    one_thread,
    shift_for,
    synthetic_dataset,
    tiny_classifier,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def full_method():
    return get_method("full")()


def train_losses(result) -> list[float]:
    return [h["loss"] for h in result.history if h["kind"] == "train"]


def test_loss_falls_with_full_fine_tuning(tmp_path):
    model = tiny_classifier(seed=0)
    config = TrainConfig(steps=40, batch_size=16, lr=1e-2, warmup_ratio=0.1, log_every=5)
    result = train(
        model,
        full_method(),
        [Source("en", "en", synthetic_dataset(64))],
        config,
        output_dir=tmp_path,
    )
    losses = train_losses(result)
    assert result.steps == 40 and len(losses) == 8
    assert losses[0] > 0.6
    assert losses[-1] < 0.2 * losses[0]
    assert (tmp_path / "component" / "sft.json").is_file()
    assert json.loads((tmp_path / "history.json").read_text()) == result.history


def test_gradient_accumulation_matches_a_larger_batch(tmp_path):
    data = synthetic_dataset(8, seed=1)  # one epoch = one step in both runs: the same data
    finals = []
    for batch_size, accum in ((8, 1), (4, 2)):
        model = tiny_classifier(seed=0)
        config = TrainConfig(steps=5, batch_size=batch_size, grad_accum=accum, lr=1e-3)
        out = tmp_path / f"b{batch_size}"
        result = train(model, full_method(), [Source("en", "en", data)], config, output_dir=out)
        finals.append((flat_state(model), train_losses(result)))
    (weights_a, loss_a), (weights_b, loss_b) = finals
    assert loss_a == pytest.approx(loss_b, abs=1e-5)
    for name in weights_a:
        torch.testing.assert_close(weights_a[name], weights_b[name], atol=1e-5, rtol=1e-4)
    assert any(
        not torch.equal(weights_a[n], tiny_classifier(seed=0).state_dict()[n]) for n in weights_a
    )


class StepOrderWatcher(Callback):
    """Checks, around every step, the order the loop promises (see language_switch)."""

    def __init__(self, model, sources):
        self.model = model
        self.by_name = {s.name: s for s in sources}
        self.last_task_state = flat_state(model)
        self.reverted_checks = 0
        self.forward_records: list[tuple[str | None, set[int]]] = []
        model.register_forward_pre_hook(self._pre_forward, with_kwargs=True)

    def _pre_forward(self, module, args, kwargs):
        active = ShiftComponent.active_component
        markers = set(kwargs["input_ids"][:, 1].tolist())
        self.forward_records.append((active.name if active else None, markers))

    def on_micro_batch(self, batch):
        assert ShiftComponent.active_component is batch.component

    def on_before_optimizer_step(self, step):
        assert ShiftComponent.active_component is None
        for name, value in flat_state(self.model).items():
            assert torch.equal(value, self.last_task_state[name]), f"{name} not reverted"
        self.reverted_checks += 1

    def on_step_end(self, step, record):
        self.last_task_state = flat_state(self.model)


MARKERS = {"en": 197, "de": 198, "sw": 199}


def marked(rows, marker):
    for row in rows:
        row["input_ids"][1] = marker
    return rows


def test_multi_source_batches_switch_the_right_component_and_revert_exactly(tmp_path):
    model = tiny_classifier(seed=0)
    names = [
        "roberta.embeddings.word_embeddings.weight",
        "roberta.encoder.layer.0.attention.self.query.weight",
        "classifier.dense.weight",
    ]
    components = {
        "de": ShiftComponent("de", shift_for(model, 1, names)),
        "sw": ShiftComponent("sw", shift_for(model, 2, names[1:])),
    }
    sources = [
        Source("en", "en", marked(synthetic_dataset(40, seed=3), MARKERS["en"])),
        Source("de", "de", marked(synthetic_dataset(24, seed=4), MARKERS["de"]), components["de"]),
        Source(
            "sw-fs",
            "sw",
            marked(synthetic_dataset(4, seed=5), MARKERS["sw"]),
            components["sw"],
            upsample=4.0,
        ),
    ]
    recorder = RecordSources()
    watcher = StepOrderWatcher(model, sources)
    config = TrainConfig(steps=12, batch_size=4, grad_accum=2, lr=5e-3)
    train(model, full_method(), sources, config, output_dir=tmp_path, callbacks=[recorder, watcher])

    assert len(recorder.batches) == 24 and watcher.reverted_checks == 12
    language_of = {"en": None, "de": "de", "sw-fs": "sw"}
    for event, (active, markers) in zip(recorder.batches, watcher.forward_records, strict=True):
        assert markers == {MARKERS[event.language]}  # the whole batch from one source
        assert active == language_of[event.source]  # its component active during forward
    used = [e.source for e in recorder.batches]
    assert components["de"].apply_count == used.count("de")
    assert components["sw"].apply_count == used.count("sw-fs")
    assert ShiftComponent.active_component is None


def test_every_phase_gets_a_fresh_optimizer_and_checkpoints_record_the_phase(tmp_path):
    model = tiny_classifier(seed=0)
    base = flat_state(model)
    method = TwoPhaseMethod()

    class PhaseEnd(Callback):
        def on_step_end(self, step, record):
            if step == 3:  # end of phase "head": only the classifier may have moved
                for name, value in flat_state(model).items():
                    assert name.startswith("classifier.") or torch.equal(value, base[name])

    config = TrainConfig(steps=[3, 4], batch_size=8, lr=1e-2, log_every=1)
    result = train(
        model,
        method,
        [Source("en", "en", synthetic_dataset(32))],
        config,
        output_dir=tmp_path,
        callbacks=[PhaseEnd()],
    )
    assert method.calls == ["start_phase(0)", "start_phase(1)"]
    assert len(method.optimizers) == 2 and method.optimizers[0] is not method.optimizers[1]
    assert [h["phase"] for h in result.history] == ["head"] * 3 + ["all"] * 4
    assert result.steps == 7 and method.counter == 7
    state = load_checkpoint(latest_checkpoint(tmp_path))
    assert (state["loop"]["phase"], state["loop"]["phase_step"], state["loop"]["step"]) == (1, 4, 7)
    assert state["method"]["counter"] == 7


def test_eval_runs_every_n_steps_in_eval_mode_and_keeps_the_best(tmp_path):
    model = tiny_classifier(seed=0)
    held_out = synthetic_dataset(32, seed=9)
    batch = {k: torch.stack([r[k] for r in held_out]) for k in held_out[0]}
    modes = []

    def eval_fn(m):
        modes.append(m.training)
        logits = m(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        return {"accuracy": (logits.argmax(-1) == batch["labels"]).float().mean().item()}

    config = TrainConfig(steps=20, batch_size=16, lr=1e-2, eval_every=5, best_metric="accuracy")
    result = train(
        model,
        full_method(),
        [Source("en", "en", synthetic_dataset(64))],
        config,
        output_dir=tmp_path,
        eval_fn=eval_fn,
    )
    evals = [h for h in result.history if h["kind"] == "eval"]
    assert [e["step"] for e in evals] == [5, 10, 15, 20]
    assert modes == [False] * 4 and model.training
    best = max(evals, key=lambda e: e["metrics"]["accuracy"])
    assert result.best["metrics"]["accuracy"] == best["metrics"]["accuracy"]
    assert evals[-1]["metrics"]["accuracy"] > 0.9
    assert (tmp_path / "best" / "sft.json").is_file()


def test_bf16_autocast_trains_and_keeps_fp32_weights(tmp_path):
    model = tiny_classifier(seed=0)
    dtypes = set()
    model.classifier.dense.register_forward_hook(lambda m, i, out: dtypes.add(out.dtype))
    config = TrainConfig(steps=20, batch_size=16, lr=1e-2, precision="bf16", log_every=5)
    result = train(
        model,
        full_method(),
        [Source("en", "en", synthetic_dataset(64))],
        config,
        output_dir=tmp_path,
    )
    losses = train_losses(result)
    assert dtypes == {torch.bfloat16}  # matmuls ran in bf16 ...
    assert all(p.dtype == torch.float32 for p in model.parameters())  # ... on fp32 weights
    assert losses[-1] < 0.5 * losses[0]


def test_ragged_examples_without_a_collator_name_the_source_and_the_field():
    ragged = [
        {"input_ids": [5, 6, 7], "text": "abc", "labels": 0},
        {"input_ids": [5, 6], "text": "a", "labels": 1},
    ]
    source = Source("fs-jav", "jav", ragged)
    with pytest.raises(ValueError, match=r"source 'fs-jav': field 'input_ids' has lengths 2\.\.3"):
        source.batch([0, 1])
    even = Source("src-ind", "ind", [{"input_ids": torch.tensor([1, 2]), "labels": 0}] * 2)
    assert even.batch([0, 1])["input_ids"].shape == (2, 2)


def test_a_nan_eval_is_never_the_best():
    from sparsexlt.training.evaluation import is_better

    best = None
    for step, value in enumerate([float("nan"), 0.5, 0.9, float("nan"), 0.7]):
        metrics = {"f1": value}
        if is_better(metrics, best, "f1", greater_is_better=True):
            best = {"step": step, "metrics": metrics}
    assert best == {"step": 2, "metrics": {"f1": 0.9}}
    old_nan_best = {"step": 0, "metrics": {"f1": float("nan")}}  # from an older checkpoint
    assert is_better({"f1": 0.1}, old_nan_best, "f1", greater_is_better=False)
