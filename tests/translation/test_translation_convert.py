"""Conversion to CTranslate2: layout, manifest, caching by (content hash, quantization)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparsexlt.errors import IncompatibleModelError
from sparsexlt.models.fingerprint import fingerprint
from sparsexlt.translation import convert as convert_module
from sparsexlt.translation.convert import (
    MANIFEST,
    TOKENIZER_DIR,
    TranslatorManifest,
    convert_cached,
    convert_model,
)
from sparsexlt.util.atomic import is_complete


def test_converted_folder_has_model_tokenizer_and_manifest(tiny_nllb: Path, tiny_ct2: Path):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    assert {"model.bin", "config.json", "shared_vocabulary.json", MANIFEST} <= {
        p.name for p in tiny_ct2.iterdir()
    }
    assert is_complete(tiny_ct2)
    manifest = TranslatorManifest.read(tiny_ct2)
    source = AutoModelForSeq2SeqLM.from_pretrained(str(tiny_nllb))
    assert manifest.fingerprint == fingerprint(source)
    assert manifest.quantization == "none"
    assert manifest.max_position_embeddings == source.config.max_position_embeddings == 256
    assert len(manifest.weights_sha256) == 64 and manifest.content_key == manifest.weights_sha256
    assert set(manifest.language_codes) == {"ind_Latn", "jav_Latn", "eng_Latn"}
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_ct2 / TOKENIZER_DIR))
    assert tokenizer.get_vocab() == AutoTokenizer.from_pretrained(str(tiny_nllb)).get_vocab()


def test_same_model_and_quantization_is_not_converted_again(tiny_nllb, tiny_ct2, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("converted again")

    monkeypatch.setattr(convert_module, "_write_conversion", fail)
    assert convert_model(tiny_nllb, tiny_ct2, quantization="none") == tiny_ct2


def test_half_written_or_other_quantization_is_replaced(tiny_nllb, tmp_path):
    out = tmp_path / "ct2"
    convert_model(tiny_nllb, out, quantization="int8")
    assert TranslatorManifest.read(out).quantization == "int8"
    (out / ".complete").unlink()  # as if a crash hit before the rename
    (out / "model.bin").write_bytes(b"garbage")
    convert_model(tiny_nllb, out, quantization="int8")
    assert is_complete(out) and (out / "model.bin").stat().st_size > 1000
    convert_model(tiny_nllb, out, quantization="float16")
    assert TranslatorManifest.read(out).quantization == "float16"


def test_convert_cached_keys_folders_by_content_hash_and_quantization(
    tiny_nllb, tiny_ct2, tmp_path
):
    content = TranslatorManifest.read(tiny_ct2).weights_sha256
    first = convert_cached(tiny_nllb, tmp_path, quantization="int8")
    assert first == tmp_path / f"{content[:16]}-int8"
    mtime = (first / "model.bin").stat().st_mtime_ns
    assert convert_cached(tiny_nllb, tmp_path, quantization="int8") == first
    assert (first / "model.bin").stat().st_mtime_ns == mtime


def test_non_nllb_models_and_bad_quantization_are_refused(tmp_path):
    from transformers import BertConfig, BertModel

    BertModel(
        BertConfig(
            vocab_size=50,
            hidden_size=8,
            num_hidden_layers=1,
            num_attention_heads=1,
            intermediate_size=8,
        )
    ).save_pretrained(str(tmp_path / "bert"))
    with pytest.raises(IncompatibleModelError, match="not NLLB/M2M100"):
        convert_model(tmp_path / "bert", tmp_path / "out")
    with pytest.raises(IncompatibleModelError, match="--quantization"):
        convert_model(tmp_path / "bert", tmp_path / "out", quantization="int3")
    with pytest.raises(IncompatibleModelError, match="not a converted translator"):
        TranslatorManifest.read(tmp_path / "bert")


def test_cli_convert_prints_the_folder(tiny_nllb, tmp_path):
    from sparsexlt.cli import app

    out = tmp_path / "cli-ct2"
    result = CliRunner().invoke(
        app, ["translate", "convert", str(tiny_nllb), str(out), "--quantization", "int8"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(out)
    assert json.loads((out / MANIFEST).read_text())["quantization"] == "int8"


def test_a_hub_id_that_cannot_be_fetched_is_a_clear_error(tmp_path, monkeypatch):
    from sparsexlt.models.loading import ModelNotFoundError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError, match="not a local folder and the Hugging Face hub"):
        convert_model("no-such-org/no-such-nllb", tmp_path / "out")
    assert not (tmp_path / "out").exists()
