"""LT-SFT driven by a tiny hand-written loop: exactly K entries move, the loss falls, the export
reproduces the trained model on a fresh base, and checkpoints resume."""

from __future__ import annotations

import pytest
import torch

from sft_tiny import (
    TinyTaskModel,
    one_torch_thread,  # noqa: F401  (autouse fixture)
    snapshot,
    tiny_backbone,
    tiny_batch,
)
from sparsexlt.adapters.registry import available_methods, get_method, load_component
from sparsexlt.errors import ConfigError

K = 400
BATCHES = [tiny_batch(seed=i) for i in range(4)]


def mean_loss(model) -> float:
    with torch.no_grad():
        return sum(model(**b).loss.item() for b in BATCHES) / len(BATCHES)


def train(method, model, steps: int = 25, lr: float = 1e-2) -> list[tuple[float, float]]:
    """attach → per phase: start_phase → optimizer → steps → export is left to the caller.

    Returns (loss at phase start, loss at phase end) for each phase.
    """
    method.attach(model)
    losses = []
    for phase in range(len(method.phases())):
        method.start_phase(phase)
        opt = method.build_optimizer(lr=lr)
        start = mean_loss(model)
        for step in range(steps):
            loss = model(**BATCHES[step % len(BATCHES)]).loss
            reg = method.regularization_loss()
            (loss if reg is None else loss + reg).backward()
            method.after_backward()
            opt.step()
            opt.zero_grad()
            method.after_optimizer_step(step)
        losses.append((start, mean_loss(model)))
    return losses


def changed_entries(model, theta0) -> dict[str, int]:
    return {
        n: int((p.detach() != theta0[n]).sum())
        for n, p in model.named_parameters()
        if n.startswith("backbone.") and (p.detach() != theta0[n]).any()
    }


def test_lt_sft_trains_exactly_k_entries_and_export_reproduces_outputs(tmp_path):
    assert "lt-sft" in available_methods()
    model = TinyTaskModel(seed=0)
    theta0 = snapshot(model)
    method = get_method("lt-sft")(k=K, task="senti")
    losses = train(method, model)
    assert method.phases() == ["full", "sparse"]
    assert losses[1][1] < losses[1][0] - 0.05, losses  # the sparse phase learns
    changed = changed_entries(model, theta0)
    assert sum(changed.values()) == K
    assert not any("LayerNorm" in n for n in changed)  # layer norms not eligible by default
    assert sum(p.numel() for p in method.trainable_tensors()) == K + sum(
        p.numel() for p in model.head.parameters()
    )
    delta = method.export()
    assert delta.k == K and delta.info.method == "lt-sft" and delta.info.task == "senti"
    assert delta.new_parameters == {n for n, _ in model.named_parameters() if n.startswith("head.")}
    fresh = TinyTaskModel(seed=0)
    loaded = load_component(delta.save(tmp_path / "sft"))
    loaded.apply(fresh)
    batch = BATCHES[0]
    with torch.no_grad():
        assert torch.equal(fresh(**batch).logits, model(**batch).logits)
    method.detach()
    assert all(torch.equal(p, theta0[n]) for n, p in model.named_parameters())


def test_eligibility_and_language_mode():
    model = TinyTaskModel(seed=0)
    model.head[2].weight.requires_grad_(False)  # like the masked-LM head's frozen decoder
    theta0 = snapshot(model)
    method = get_method("lt-sft")(k=0.01, embeddings=False, bias=False, language_sft=True)
    train(method, model, steps=4)
    changed = changed_entries(model, theta0)
    assert changed and not any("embeddings" in n or n.endswith("bias") for n in changed)
    delta = method.export()
    assert not delta.dense and not delta.new_parameters and delta.info.task is None
    assert torch.equal(model.head[2].weight, theta0["head.2.weight"])  # frozen part stays
    assert not torch.equal(model.head[0].weight, theta0["head.0.weight"])  # transform trains


def test_l1_regularization_per_phase():
    model = TinyTaskModel(seed=0)
    method = get_method("lt-sft")(k=50, l1_lambda=[0.0, 0.5])
    method.attach(model)
    method.start_phase(0)
    assert method.regularization_loss() is None
    method.start_phase(1)
    with torch.no_grad():
        for phi in method.sparse.trainable_tensors():
            phi.fill_(-0.1)
    assert method.regularization_loss().item() == pytest.approx(0.5 * 50 * 0.1, rel=1e-5)


def test_checkpoint_resume_restores_the_sparse_phase():
    model = TinyTaskModel(seed=0)
    method = get_method("lt-sft")(k=K)
    train(method, model, steps=6)
    state = method.state_dict()
    assert state["phase"] == 1 and state["k"] == K
    resumed_model = TinyTaskModel(seed=0)
    resumed = get_method("lt-sft")(k=K)
    resumed.attach(resumed_model)
    resumed.load_state_dict(state)
    resumed.start_phase(1)  # no-op: already there
    for (n, p), q in zip(
        model.backbone.named_parameters(), resumed_model.backbone.parameters(), strict=True
    ):
        assert torch.equal(p, q), n
    assert resumed.export().k == K


def test_bad_hyperparameters_are_config_errors():
    with pytest.raises(ConfigError, match="k: a proportion"):
        get_method("lt-sft")(k=1.5)
    with pytest.raises(ConfigError, match="unknown option"):
        get_method("lt-sft")(k=10, sparsity=3)
    with pytest.raises(ConfigError, match="eligible"):
        get_method("lt-sft")(k=10**9).attach(TinyTaskModel(seed=0))


def test_with_the_models_layer_task_model_and_masked_lm_model():
    from sparsexlt.models.task_model import MaskedLMModel, build_task_model

    def task_model():
        return build_task_model(tiny_backbone(seed=0), "sequence-classification", 3, seed=0)

    model = task_model()
    theta0 = snapshot(model)
    method = get_method("lt-sft")(k=200, head_reset="reinit")
    train(method, model, steps=6)
    assert sum(changed_entries(model, theta0).values()) == 200
    fresh = task_model()
    method.export().apply(fresh)
    with torch.no_grad():
        assert torch.equal(fresh(**BATCHES[1]).logits, model(**BATCHES[1]).logits)

    mlm = MaskedLMModel(tiny_backbone(seed=0))
    decoder = mlm.head.decoder_weight.detach().clone()
    labels = BATCHES[0]["input_ids"].clone()
    labels[:, ::2] = -100
    method = get_method("lt-sft")(k=0.02, language_sft=True)
    method.attach(mlm)
    for phase in range(2):
        method.start_phase(phase)
        opt = method.build_optimizer(lr=1e-2)
        for _ in range(3):
            mlm(input_ids=BATCHES[0]["input_ids"], labels=labels).loss.backward()
            opt.step()
            opt.zero_grad()
            method.after_optimizer_step(0)
    delta = method.export()
    assert all(n.startswith("backbone.") for n in delta.names()) and not delta.new_parameters
    assert torch.equal(mlm.head.decoder_weight, decoder)
