"""Conversions and translation caches are keyed on every weight, not on the sampled fingerprint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from datasets import Dataset
from translation_helpers import CORPUS

from sparsexlt.models.fingerprint import fingerprint, sample_indices
from sparsexlt.models.loading import load_seq2seq, load_tokenizer
from sparsexlt.models.sentencepiece_model import copy_sentencepiece
from sparsexlt.translation.content_hash import weights_sha256
from sparsexlt.translation.convert import (
    MANIFEST,
    TranslatorManifest,
    convert_cached,
    convert_model,
)
from sparsexlt.translation.dataset import read_report, translate_dataset
from sparsexlt.translation.engine import CTranslate2Engine
from sparsexlt.translation.new_language import add_language_code
from sparsexlt.translation.options import TranslationOptions
from sparsexlt.util.hashing import combine

OPTIONS = TranslationOptions(beam_size=1, max_output_tokens=6, threads=1)


def _save(model, tokenizer, source: Path, out: Path) -> Path:
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    copy_sentencepiece(source, out)
    return out


def _changed_off_the_samples(tiny_nllb: Path, out: Path) -> Path:
    """A copy of the model with every weight moved except the ones the fingerprint samples."""
    model = load_seq2seq(tiny_nllb, dtype=torch.float32)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in model.parameters():
            noise = torch.randn(param.shape, generator=g) * 0.5
            noise.view(-1)[torch.tensor(sample_indices(param.numel()))] = 0
            param.add_(noise)
    return _save(model, load_tokenizer(tiny_nllb), tiny_nllb, out)


def test_a_change_the_fingerprint_misses_gets_its_own_conversion_and_cache(tiny_nllb, tmp_path):
    changed = _changed_off_the_samples(tiny_nllb, tmp_path / "changed")
    same_fp = fingerprint(load_seq2seq(tiny_nllb)) == fingerprint(load_seq2seq(changed))
    assert same_fp  # why the sampled fingerprint cannot key conversions
    out = tmp_path / "ct2"
    convert_model(tiny_nllb, out, quantization="none")
    base = TranslatorManifest.read(out)
    convert_model(changed, out, quantization="none")  # same folder: must not be reused
    new = TranslatorManifest.read(out)
    assert new.source == str(changed) and new.weights_sha256 != base.weights_sha256
    # the translation cache is keyed per model: the changed model's job translates afresh
    a = convert_cached(tiny_nllb, tmp_path / "cache-root", quantization="none")
    b = convert_cached(changed, tmp_path / "cache-root", quantization="none")
    assert a != b
    engines = [CTranslate2Engine(d, OPTIONS) for d in (a, b)]
    assert engines[0].key != engines[1].key
    data = Dataset.from_dict({"id": ["0"], "text": [CORPUS["ind_Latn"][0]], "label": ["x"]})
    reports = []
    for name, engine in zip(("a", "b"), engines, strict=True):
        paths = translate_dataset(
            data,
            engine=engine,
            src_lang="ind",
            tgt_langs=["jav"],
            options=OPTIONS,
            cache_dir=tmp_path / "tcache",
            out_dir=tmp_path / name,
        )
        reports.append(read_report(paths["jav"]))
    assert [(r["translated"], r["cache_hits"]) for r in reports] == [(1, 0), (1, 0)]


def test_a_language_code_added_in_a_spare_row_is_converted_again(tiny_nllb, tmp_path):
    model = load_seq2seq(tiny_nllb, dtype=torch.float32)
    tokenizer = load_tokenizer(tiny_nllb)
    model.resize_token_embeddings(len(tokenizer) + 3, mean_resizing=False)  # as NLLB-200 has
    spare = _save(model, tokenizer, tiny_nllb, tmp_path / "spare")
    before = fingerprint(model)
    add_language_code(model, tokenizer, "mad_Latn", "jav_Latn")
    assert fingerprint(model) == before  # the new row is not among the sampled values
    extended = _save(model, tokenizer, tiny_nllb, tmp_path / "extended")
    out = tmp_path / "ct2"
    convert_model(spare, out, quantization="none")
    convert_model(extended, out, quantization="none")
    assert "mad_Latn" in TranslatorManifest.read(out).language_codes


def test_weights_sha256_reads_every_value_and_the_tokenizer(tiny_nllb):
    model = load_seq2seq(tiny_nllb, dtype=torch.float32)
    tokenizer = load_tokenizer(tiny_nllb)
    first = weights_sha256(model, tokenizer)
    assert weights_sha256(load_seq2seq(tiny_nllb, dtype=torch.float32), tokenizer) == first
    weight = model.model.encoder.layers[0].fc1.weight
    sampled = set(sample_indices(weight.numel()))
    index = next(i for i in range(weight.numel()) if i not in sampled)
    with torch.no_grad():
        weight.view(-1)[index] += 1e-3
    assert weights_sha256(model, tokenizer) != first
    with torch.no_grad():
        weight.view(-1)[index] -= 1e-3
    tokenizer.add_tokens(["zzzword"])
    assert weights_sha256(model, tokenizer) != first


def test_a_manifest_from_before_content_hashes_loads_with_its_old_key(
    tiny_nllb, tiny_ct2, tmp_path
):
    old = tmp_path / "old"
    shutil.copytree(tiny_ct2, old)
    data = json.loads((old / MANIFEST).read_text())
    del data["weights_sha256"], data["max_position_embeddings"]
    (old / MANIFEST).write_text(json.dumps(data))
    manifest = TranslatorManifest.read(old)
    assert manifest.weights_sha256 is None and manifest.content_key == manifest.fingerprint
    engine = CTranslate2Engine(old, OPTIONS)
    decoding = str(sorted(OPTIONS.decoding_key().items()))
    compute = str(engine.translator.compute_type)
    # the key the engine had before content hashes: caches written then stay valid
    assert engine.key == combine([manifest.fingerprint, "none", compute, decoding])
    assert engine.translate([CORPUS["ind_Latn"][0]], "ind_Latn", "jav_Latn").texts
    # converting into it again cannot prove it holds this model: converted afresh
    convert_model(tiny_nllb, old, quantization="none")
    assert (
        TranslatorManifest.read(old).weights_sha256
        == TranslatorManifest.read(tiny_ct2).weights_sha256
    )
