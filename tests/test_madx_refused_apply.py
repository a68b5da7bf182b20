"""A MAD-X task adapter whose head does not fit is refused before anything changes: no hooks,
no stack, every parameter bit-identical."""

from __future__ import annotations

import pytest
import torch

from sft_tiny import HIDDEN, TinyTaskModel, bitwise_equal, snapshot, tiny_batch
from sparsexlt.adapters.madx import AdapterSet, MadxAdapter, active_components
from sparsexlt.errors import IncompatibleModelError
from training_support import one_thread  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("one_thread")


def three_label_adapter() -> MadxAdapter:
    modules = AdapterSet(HIDDEN, 4, [0, 1])
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in modules.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    head = {
        f"head.{n}": p.detach() + 1 for n, p in TinyTaskModel(num_labels=3).head.named_parameters()
    }
    return MadxAdapter("task", modules.requires_grad_(False), head)


def test_a_three_label_adapter_onto_a_two_label_model_changes_nothing():
    model = TinyTaskModel(num_labels=2)
    batch = tiny_batch(0, num_labels=2)
    with torch.no_grad():
        logits = model(**batch).logits
    before = snapshot(model)
    component = three_label_adapter()
    with pytest.raises(IncompatibleModelError, match=r"head\.2\.weight"):
        component.apply(model, check_fingerprint=False)
    for name, value in snapshot(model).items():
        assert bitwise_equal(value, before[name]), name
    assert active_components(model) == [] and "_sparsexlt_madx_stack" not in vars(model.backbone)
    assert not component.is_applied(model)
    with torch.no_grad():
        assert torch.equal(model(**batch).logits, logits)  # no hook left behind
