"""MAD-X building blocks: shapes, the invertible adapter, stacking order, architectures, files."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from transformers import (
    BertConfig,
    BertModel,
    DistilBertConfig,
    DistilBertModel,
    GPT2Config,
    GPT2Model,
    LlamaConfig,
    LlamaForCausalLM,
)

from sft_tiny import TinyTaskModel, bitwise_equal, snapshot, tiny_backbone, tiny_batch
from sparsexlt.adapters.madx import AdapterSet, MadxAdapter, MadxSettings, active_components
from sparsexlt.adapters.madx.invertible import InvertibleAdapter
from sparsexlt.adapters.madx.stack import stacked_output
from sparsexlt.adapters.registry import get_method, load_component
from sparsexlt.errors import ConfigError, DeterministicError, IncompatibleModelError
from sparsexlt.models.fingerprint import fingerprint
from training_support import one_thread  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("one_thread")
HIDDEN = 32


def randomized(modules: AdapterSet, seed: int, std: float = 0.3) -> AdapterSet:
    """Non-zero everywhere (a fresh adapter is the identity, which would hide mistakes)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in modules.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * std)
    return modules.requires_grad_(False)


def adapter(role: str, seed: int, layers=(0, 1), bottleneck: int = 4, **info) -> MadxAdapter:
    invertible = 8 if role == "language" else None
    modules = randomized(AdapterSet(HIDDEN, bottleneck, list(layers), invertible), seed)
    return MadxAdapter(role, modules, info=info)


def logits(model: nn.Module, batch: dict) -> torch.Tensor:
    with torch.no_grad():
        return model(**batch).logits


def test_the_method_builds_bottlenecks_in_every_layer_and_an_invertible_for_languages():
    model = TinyTaskModel()
    method = get_method("madx")(language_sft=True)
    method.attach(model)
    modules = method.component.modules
    assert modules.bottleneck == HIDDEN // 16 and modules.layer_indices == [0, 1]
    assert modules.layers["0"].down.weight.shape == (2, HIDDEN)
    assert modules.layers["0"].up.weight.shape == (HIDDEN, 2)
    assert modules.invertible.F.down.weight.shape == (8, 16)  # (32 // 2) // 2
    assert modules.invertible.G.up.weight.shape == (16, 8)
    per_layer = 2 * HIDDEN * 2 + 2 + HIDDEN
    per_coupling = 16 * 8 + 8 + 8 * 16 + 16
    assert method.adapter_count == 2 * per_layer + 2 * per_coupling
    assert sum(t.numel() for t in method.trainable_tensors()) == method.adapter_count  # no head

    task = get_method("madx")(bottleneck=5, leave_out=[-1])
    other = TinyTaskModel()
    task.attach(other)
    assert task.component.role == "task" and task.component.modules.invertible is None
    assert task.component.modules.layer_indices == [0]
    head = sum(p.numel() for p in other.head.parameters())
    assert sum(t.numel() for t in task.trainable_tensors()) == task.adapter_count + head
    assert task.adapter_count == 2 * HIDDEN * 5 + 5 + HIDDEN


def test_settings_are_validated():
    with pytest.raises(ConfigError) as err:
        MadxSettings(reduction_factor=0, bottleneck=-1, leave_out=["x"])
    assert len(err.value.problems) == 3
    with pytest.raises(ConfigError, match="rank: unknown option"):
        get_method("madx")(rank=3)
    with pytest.raises(ConfigError, match="no layer 7"):
        get_method("madx")(leave_out=[7]).attach(TinyTaskModel())


@pytest.mark.parametrize("hidden", [32, 33])
def test_the_invertible_adapter_inverts_exactly(hidden):
    inv = InvertibleAdapter(hidden, 6)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in inv.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    x = torch.randn(4, 7, hidden, generator=g)
    y = inv(x)
    assert (y - x).abs().max() > 0.1  # it does transform
    torch.testing.assert_close(inv.inverse(y), x, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(inv(inv.inverse(x)), x, rtol=1e-5, atol=1e-5)


def test_a_fresh_adapter_is_the_identity():
    model = TinyTaskModel().eval()
    batch = tiny_batch()
    base = logits(model, batch)
    method = get_method("madx")(language_sft=True)
    method.attach(model)
    assert torch.equal(logits(model, batch), base)


def test_stacked_output_is_language_then_task_with_the_shared_residual():
    g = torch.Generator().manual_seed(1)
    lang, task = (randomized(AdapterSet(HIDDEN, 4, [0]), s).layers["0"] for s in (2, 3))
    norm = nn.LayerNorm(HIDDEN)
    h, x = torch.randn(2, 5, HIDDEN, generator=g), torch.randn(2, 5, HIDDEN, generator=g)
    s = h + x
    y = norm(s)
    expected = norm(task(lang(y) + h) + s)
    torch.testing.assert_close(stacked_output([lang, task], y, h, s, norm), expected)
    torch.testing.assert_close(stacked_output([lang], y, h, s, norm), norm(lang(y) + h + x))


def test_the_hooks_run_the_stack_inside_a_layer_whatever_the_apply_order():
    model = TinyTaskModel().eval()
    batch = tiny_batch()
    language, task = adapter("language", 1, language="xx"), adapter("task", 2, task="t")
    block = model.backbone.encoder.layer[1].output
    seen = {}
    block.register_forward_pre_hook(lambda m, args: seen.update(inputs=args))
    block.register_forward_hook(lambda m, args, out: seen.update(out=out))

    task.apply(model)
    language.apply(model)
    assert active_components(model) == [language, task]
    out = logits(model, batch)
    intermediate, attention = seen["inputs"]
    h = block.dense(intermediate)
    s = h + attention
    lang, tsk = language.modules.layers["1"], task.modules.layers["1"]
    norm = block.LayerNorm.forward  # the module itself would run the hooks again
    expected = norm(tsk(lang(norm(s)) + h) + s)
    torch.testing.assert_close(seen["out"], expected, rtol=1e-5, atol=1e-5)
    language.revert(model)
    task.revert(model)
    language.apply(model)
    task.apply(model)
    assert active_components(model) == [language, task]
    assert torch.equal(logits(model, batch), out)
    language.revert(model)
    assert active_components(model) == [task]
    assert not torch.allclose(logits(model, batch), out)  # the language adapter mattered


def test_one_adapter_per_role_and_once_per_model():
    model = TinyTaskModel()
    first, second = adapter("language", 1), adapter("language", 2)
    first.apply(model)
    with pytest.raises(DeterministicError, match="already applied"):
        first.apply(model)
    with pytest.raises(DeterministicError, match="language adapter is already active"):
        second.apply(model)
    first.revert(model)
    with pytest.raises(DeterministicError, match="not applied"):
        first.revert(model)
    second.apply(model)
    second.revert(model)
    assert active_components(model) == [] and "_sparsexlt_madx_stack" not in vars(model.backbone)


def bert_like(kind: str) -> nn.Module:
    torch.manual_seed(0)
    common = dict(vocab_size=100, max_position_embeddings=32)
    if kind == "bert":
        config = BertConfig(
            hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, **common,
        )  # fmt: skip
        return BertModel(config, add_pooling_layer=False).eval()
    if kind == "distilbert":
        config = DistilBertConfig(
            dim=HIDDEN, n_layers=2, n_heads=2, hidden_dim=64, dropout=0.0, attention_dropout=0.0,
            **common,
        )  # fmt: skip
        return DistilBertModel(config).eval()
    if kind == "llama":
        return tiny_llama().model
    return tiny_backbone(0)


def tiny_llama() -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=100, hidden_size=HIDDEN, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, intermediate_size=64, max_position_embeddings=32,
    )  # fmt: skip
    return LlamaForCausalLM(config).eval()


@pytest.mark.parametrize("kind", ["xlm-r", "bert", "distilbert", "llama"])
def test_supported_encoders_change_under_an_adapter_and_revert_exactly(kind):
    encoder = bert_like(kind)
    ids = torch.randint(5, 100, (2, 9), generator=torch.Generator().manual_seed(0))
    base_params = snapshot(encoder)
    with torch.no_grad():
        base = encoder(input_ids=ids).last_hidden_state
    stack = [adapter("language", 3), adapter("task", 4)]
    for component in stack:
        component.apply(encoder)
    with torch.no_grad():
        adapted = encoder(input_ids=ids).last_hidden_state
    assert (adapted - base).abs().max() > 1e-2
    for component in reversed(stack):
        component.revert(encoder)
    with torch.no_grad():
        assert torch.equal(encoder(input_ids=ids).last_hidden_state, base)
    assert all(bitwise_equal(p, base_params[n]) for n, p in encoder.named_parameters())


def test_unsupported_encoders_are_a_clear_error():
    gpt2 = GPT2Model(GPT2Config(n_embd=HIDDEN, n_layer=1, n_head=2, vocab_size=50))
    with pytest.raises(IncompatibleModelError, match="madx: unsupported encoder GPT2Model"):
        adapter("task", 1).apply(gpt2)
    with pytest.raises(IncompatibleModelError, match="unsupported encoder"):
        get_method("madx")().attach(gpt2)
    wide = adapter("task", 1, layers=(0, 1, 2))  # the tiny encoder has two layers
    with pytest.raises(IncompatibleModelError, match="does not fit"):
        wide.apply(TinyTaskModel())


def test_save_and_load_reproduce_outputs_and_check_the_base(tmp_path):
    model = TinyTaskModel().eval()
    batch = tiny_batch()
    language = adapter("language", 5, language="xx", base_fingerprint=fingerprint(model))
    task = adapter("task", 6, task="t", base_fingerprint=fingerprint(model))
    task.new_parameters = {f"head.{n}": p.detach() + 1.0 for n, p in model.head.named_parameters()}
    language.apply(model)
    task.apply(model)
    expected = logits(model, batch)
    task.revert(model)
    language.revert(model)
    language.save(tmp_path / "lang")
    task.save(tmp_path / "task")

    loaded = [load_component(tmp_path / name) for name in ("lang", "task")]
    assert [c.role for c in loaded] == ["language", "task"]
    assert set(loaded[1].new_parameters) == {f"head.{n}" for n, _ in model.head.named_parameters()}
    fresh = TinyTaskModel().eval()
    head_before = snapshot(fresh.head)
    for component in reversed(loaded):  # applied task first: stacking still runs language first
        component.apply(fresh)
    torch.testing.assert_close(logits(fresh, batch), expected)
    for component in loaded:
        component.revert(fresh)
    assert all(bitwise_equal(p, head_before[n]) for n, p in fresh.head.named_parameters())
    with pytest.raises(IncompatibleModelError, match="fingerprint mismatch"):
        loaded[0].apply(TinyTaskModel(seed=3))


def test_a_pre_norm_layer_runs_language_then_task_on_the_mlp_output():
    model = tiny_llama()
    ids = torch.randint(5, 100, (2, 9), generator=torch.Generator().manual_seed(0))
    mlp = model.model.layers[1].mlp
    seen = {}
    mlp.register_forward_hook(lambda m, args, out: seen.update(inputs=args, raw=out))
    language, task = adapter("language", 1), adapter("task", 2)
    task.apply(model.model)
    language.apply(model.model)
    mlp.register_forward_hook(lambda m, args, out: seen.update(out=out))  # runs after the stack
    with torch.no_grad():
        model(input_ids=ids)
    m = mlp.forward(*seen["inputs"])
    torch.testing.assert_close(seen["raw"], m)
    lang, tsk = language.modules.layers["1"], task.modules.layers["1"]
    m1 = m + lang(m)
    torch.testing.assert_close(seen["out"], m1 + tsk(m1))


def test_a_causal_lm_language_adapter_inverts_before_the_lm_head_and_trains():
    model = tiny_llama()
    base = snapshot(model)
    method = get_method("madx")(language_sft=True, reduction_factor=4)
    method.attach(model)
    seen = {}  # hooks registered after the adapter's run after it
    model.lm_head.register_forward_pre_hook(lambda m, args: seen.update(head_in=args[0]))
    model.model.norm.register_forward_hook(lambda m, args, out: seen.update(norm_out=out))
    component = method.component
    assert component.role == "language" and component.modules.layer_indices == [0, 1]
    assert sum(t.numel() for t in method.trainable_tensors()) == method.adapter_count  # no head
    randomized(component.modules, 7, std=0.1).requires_grad_(True)
    ids = torch.randint(5, 100, (4, 12), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        model(input_ids=ids)
    inverse = component.modules.invertible.inverse(seen["norm_out"])
    torch.testing.assert_close(seen["head_in"], inverse)

    optimizer = torch.optim.AdamW(method.trainable_tensors(), lr=1e-2)
    losses = []
    for _ in range(6):
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.05
    method.detach()
    assert all(bitwise_equal(p, base[n]) for n, p in model.named_parameters())
