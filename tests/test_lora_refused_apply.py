"""A LoRA component that does not fit is refused before anything changes: the model stays
bit-identical (merged weights, injected layers and the head alike)."""

from __future__ import annotations

import pytest
import torch

from sft_tiny import HIDDEN, TinyTaskModel, bitwise_equal, snapshot
from sparsexlt.adapters.lora import LoraComponent
from sparsexlt.adapters.lora.component import LoraFactors
from sparsexlt.adapters.lora.injection import lora_layers
from sparsexlt.errors import IncompatibleModelError
from training_support import one_thread  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("one_thread")


def three_label_component() -> LoraComponent:
    """A task LoRA trained for 3 labels: its head's last layer is 3 × HIDDEN."""
    g = torch.Generator().manual_seed(0)
    factors = {
        "encoder.layer.0.attention.self.query": LoraFactors(
            torch.randn(4, HIDDEN, generator=g), torch.randn(HIDDEN, 4, generator=g), 8.0
        )
    }
    head = {
        f"head.{n}": p.detach() + 1 for n, p in TinyTaskModel(num_labels=3).head.named_parameters()
    }
    assert list(head) == ["head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"]
    return LoraComponent(factors, head)


@pytest.mark.parametrize("merged", [True, False])
def test_a_three_label_component_onto_a_two_label_model_changes_nothing(merged):
    model = TinyTaskModel(num_labels=2)
    before = snapshot(model)
    component = three_label_component()
    with pytest.raises(IncompatibleModelError, match=r"head\.2\.weight"):
        component.apply(model, merged=merged, check_fingerprint=False)
    after = snapshot(model)
    assert list(after) == list(before)
    for name, value in after.items():
        assert bitwise_equal(value, before[name]), name
    assert lora_layers(model.backbone) == {}
    assert not component.is_applied(model)
    fits = TinyTaskModel(num_labels=3)  # the same component fits a 3-label model
    component.apply(fits, merged=merged, check_fingerprint=False)
    component.revert(fits)
