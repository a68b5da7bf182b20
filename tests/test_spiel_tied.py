"""SpIEL on tied weights: the input embeddings and the MLM decoder are one tensor.

With embeddings=True the tensor is one target (one φ, one share of K) and each module keeps its
own forward: the gradient of φ is the loss's gradient through both uses. With embeddings=False
the tensor is not a target at all (it is the embedding matrix), so the embeddings do not change.
"""

from __future__ import annotations

import pytest
import torch
from transformers import XLMRobertaForMaskedLM

from sft_tiny import bitwise_equal, tiny_config
from sparsexlt.adapters.registry import get_method
from sparsexlt.adapters.spiel.targets import resolve_k
from training_support import one_thread  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("one_thread")


def tied_mlm() -> XLMRobertaForMaskedLM:
    torch.manual_seed(0)
    model = XLMRobertaForMaskedLM(tiny_config(tie_word_embeddings=True))
    assert model.lm_head.decoder.weight is model.roberta.embeddings.word_embeddings.weight
    return model


def batch(seed: int = 0) -> dict[str, torch.Tensor]:
    ids = torch.randint(3, 200, (4, 10), generator=torch.Generator().manual_seed(seed))
    return {"input_ids": ids, "labels": ids}


def tied_weight(model: XLMRobertaForMaskedLM) -> torch.nn.Parameter:
    return model.roberta.embeddings.word_embeddings.weight


def test_a_tied_matrix_is_one_target_and_phi_gets_the_gradient_of_both_uses():
    model, reference = tied_mlm(), tied_mlm()
    method = get_method("spiel-ma")(k=0.05, embeddings=True, grad_mode="dense")
    method.attach(model)
    tied = [sw for sw in method.weights if sw.target.weight is tied_weight(model)]
    assert len(tied) == 1
    assert sorted(tied[0].target.kinds) == ["embedding", "linear"]
    assert sum(sw.k for sw in method.weights) == resolve_k(model, method.config)
    g = torch.Generator().manual_seed(1)
    for sw in method.weights:  # non-zero φ everywhere, merged into the weights
        sw.phi.data.copy_(torch.randn(sw.k, generator=g) * 0.1)
    method.store.merge_all()
    reference.load_state_dict(model.state_dict())  # W0 + φ, tied as well
    loss = model(**batch()).loss
    loss.backward()
    ref_loss = reference(**batch()).loss
    ref_loss.backward()
    assert torch.equal(loss.detach(), ref_loss.detach())
    ref_params = dict(reference.named_parameters())
    for sw in method.weights:
        expected = ref_params[sw.name].grad.view(-1)[sw.indices.long()]
        torch.testing.assert_close(sw.phi.grad, expected, rtol=1e-4, atol=1e-6)


def test_without_embeddings_a_decoder_tied_to_them_is_not_trained(monkeypatch):
    logged: list[str] = []
    monkeypatch.setattr("sparsexlt.util.progress.log", logged.append)
    model = tied_mlm()
    base = tied_weight(model).detach().clone()
    method = get_method("spiel-ag")(k=0.05)  # embeddings=False
    method.attach(model)
    assert len(logged) == 1 and "lm_head.decoder.weight is not trained" in logged[0]
    assert "roberta.embeddings.word_embeddings.weight" in logged[0]
    assert all(sw.target.weight is not tied_weight(model) for sw in method.weights)
    assert sum(sw.k for sw in method.weights) == resolve_k(model, method.config)
    optimizer = method.build_optimizer(1e-1)
    for step in range(1, 3):
        model(**batch(step)).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        method.after_optimizer_step(step)
    assert bitwise_equal(tied_weight(model).detach(), base)
    names = method.export().names()
    assert "lm_head.decoder.weight" not in names
    assert "roberta.embeddings.word_embeddings.weight" not in names


def test_a_tied_matrix_trains_through_growth_windows_and_exports_what_it_trained():
    model = tied_mlm()
    base = {n: p.detach().clone() for n, p in model.named_parameters()}
    method = get_method("spiel-ag")(
        k=0.05, embeddings=True, reselection_interval=2, selection_window=1
    )
    method.attach(model)
    tied = next(sw for sw in method.weights if sw.target.weight is tied_weight(model))
    optimizer = method.build_optimizer(1e-1)
    windows = 0
    for step in range(1, 6):
        model(**batch(step)).loss.backward()
        method.after_backward()
        optimizer.step()
        optimizer.zero_grad()
        method.after_optimizer_step(step)
        if tied.window is not None:
            windows += 1
            assert tied.window.buffered  # one step's Σg over both uses before Σg²
    assert method.selections == 2 and windows > 0
    trained = {n: p.detach().clone() for n, p in model.named_parameters()}
    assert not torch.equal(tied_weight(model), base[tied.name])  # the tied matrix trained
    delta = method.export()
    fresh = tied_mlm()
    delta.apply(fresh)
    for name, p in fresh.named_parameters():
        assert bitwise_equal(p.detach(), trained[name]), name
    method.detach()
    for name, p in model.named_parameters():
        assert bitwise_equal(p.detach(), base[name]), name
    assert "forward" not in model.lm_head.decoder.__dict__
    assert "forward" not in model.roberta.embeddings.word_embeddings.__dict__
