"""Convert an NLLB/M2M100 Hugging Face model to a CTranslate2 folder that translates offline.

Layout of a converted folder (`out`):
- the CTranslate2 files (`model.bin`, `config.json`, `shared_vocabulary.json`);
- `tokenizer/`: the source model's tokenizer (CTranslate2 reads tokens, so we tokenise);
- `sparsexlt_translator.json`: the manifest — source, the source model's fingerprint
  (`sparsexlt.models.fingerprint`), `weights_sha256` (every weight and the tokenizer, see
  `content_hash`), `max_position_embeddings`, quantization, the language codes in the
  vocabulary, versions;
- `.complete`: written last by `atomic_dir`, so a crash mid-conversion is never taken for a result.

A conversion is keyed by (weights_sha256, quantization): `convert_model` returns at once when
`out` already holds that conversion, and `convert_cached` names the folder after the key so any
number of models share one cache root. Not the sampled fingerprint: a sparse fine-tune or a
language code added in a spare embedding row can leave it unchanged. A folder whose manifest
predates `weights_sha256` cannot prove it holds this model, so it is converted again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from ctranslate2.converters import TransformersConverter

from sparsexlt.errors import IncompatibleModelError
from sparsexlt.models.fingerprint import base_fingerprint
from sparsexlt.models.loading import (
    SOURCE_ATTR,
    load_model_config,
    load_seq2seq,
    load_tokenizer,
)
from sparsexlt.models.sentencepiece_model import copy_sentencepiece
from sparsexlt.translation.content_hash import weights_sha256
from sparsexlt.translation.languages import language_codes_in_vocab
from sparsexlt.translation.manifest import FORMAT, MANIFEST, TOKENIZER_DIR, TranslatorManifest
from sparsexlt.util.atomic import atomic_dir, atomic_write_json, is_complete
from sparsexlt.util.hashing import short
from sparsexlt.util.progress import log

QUANTIZATIONS = ("int8", "int8_float16", "int8_float32", "int16", "float16", "bfloat16", "none")
SUPPORTED_MODEL_TYPES = ("m2m_100", "nllb_moe")


def _check_quantization(quantization: str) -> str:
    if quantization not in QUANTIZATIONS:
        raise IncompatibleModelError(
            f"--quantization {quantization!r}: choose one of {', '.join(QUANTIZATIONS)}"
        )
    return quantization


def load_source(model: str | Path) -> tuple[Any, Any]:
    """(model, tokenizer) of an NLLB/M2M100 folder, hub id or `pkg:` name; others are refused.

    The model comes from `sparsexlt.models.load_seq2seq` in float32, so it carries the same
    fingerprint every other part of sparsexlt computes for it.
    """
    config = load_model_config(model)
    if config.model_type not in SUPPORTED_MODEL_TYPES:
        raise IncompatibleModelError(
            f"{model}: model_type {config.model_type!r} is not NLLB/M2M100 "
            f"(supported: {', '.join(SUPPORTED_MODEL_TYPES)})"
        )
    seq2seq = load_seq2seq(model, dtype=torch.float32).eval()
    return seq2seq, load_tokenizer(model)


def _matches(out: Path, content: str, quantization: str) -> bool:
    if not is_complete(out) or not (out / MANIFEST).is_file():
        return False
    manifest = TranslatorManifest.read(out)
    if manifest.weights_sha256 is None:
        log(f"translator {out} predates content hashes: converting again to be sure")
        return False
    return manifest.weights_sha256 == content and manifest.quantization == quantization


def convert_model(model: str | Path, out: str | Path, *, quantization: str = "int8") -> Path:
    """Convert `model` (folder or hub id) into `out`; reuse `out` if it holds this conversion.

    An `out` holding another model or quantization is replaced; a half-written one (no
    `.complete`) is never reused.
    """
    return _convert(model, lambda fp: Path(out), quantization)


def convert_cached(
    model: str | Path, cache_root: str | Path, *, quantization: str = "int8"
) -> Path:
    """Convert into `cache_root/<weights_sha256[:16]>-<quantization>`, or return that folder
    if done."""
    return _convert(
        model, lambda key: Path(cache_root) / f"{short(key, 16)}-{quantization}", quantization
    )


def _convert(model: str | Path, folder: Callable[[str], Path], quantization: str) -> Path:
    """Load `model`, name its folder from its content hash, convert unless already there.

    The model is loaded here on purpose, never taken from a caller: CTranslate2's int8
    quantization rewrites the source weights in place, so a model that is used afterwards
    must not be the one converted.
    """
    _check_quantization(quantization)
    seq2seq, tokenizer = load_source(model)
    content = weights_sha256(seq2seq, tokenizer)
    out = folder(content)
    if _matches(out, content, quantization):
        log(f"translator {out} already converted (weights {short(content)}, {quantization})")
        return out
    identity = {"fingerprint": base_fingerprint(seq2seq), "weights_sha256": content}
    _write_conversion(str(model), seq2seq, tokenizer, identity, out, quantization)
    return out


def _write_conversion(
    source: str,
    seq2seq: Any,
    tokenizer: Any,
    identity: dict[str, str],
    out: Path,
    quantization: str,
) -> None:
    import ctranslate2
    import transformers

    log(f"converting {source} → {out} ({quantization})")
    resolved = getattr(seq2seq, SOURCE_ATTR, source)
    with atomic_dir(out, overwrite=True) as tmp:
        converter = _PreloadedConverter(resolved, seq2seq, tokenizer)
        converter.convert(
            str(tmp), quantization=None if quantization == "none" else quantization, force=True
        )
        tokenizer.save_pretrained(str(tmp / TOKENIZER_DIR))
        copy_sentencepiece(resolved, tmp / TOKENIZER_DIR)
        atomic_write_json(
            tmp / MANIFEST,
            {
                "format": FORMAT,
                "source": source,
                **identity,
                "max_position_embeddings": _max_positions(seq2seq.config),
                "quantization": quantization,
                "model_type": seq2seq.config.model_type,
                "language_codes": sorted(language_codes_in_vocab(tokenizer.get_vocab())),
                "ctranslate2_version": ctranslate2.__version__,
                "transformers_version": transformers.__version__,
            },
        )


def _max_positions(config: Any) -> int | None:
    value = getattr(config, "max_position_embeddings", None)
    return int(value) if isinstance(value, int) else None


class _PreloadedConverter(TransformersConverter):
    """CTranslate2's converter, fed the model and tokenizer we already loaded (and hashed)."""

    def __init__(self, source: str, model: Any, tokenizer: Any):
        super().__init__(source)
        self._preloaded = (model, tokenizer)

    def load_model(self, model_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
        return self._preloaded[0]

    def load_tokenizer(self, tokenizer_class: Any, model_name_or_path: str, **kwargs: Any) -> Any:
        return self._preloaded[1]
