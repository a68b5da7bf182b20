"""NLLB through CTranslate2 for translate-train: convert models, map language codes, translate
task datasets (cached, resumable; marker projection for token tasks), adapt NLLB to new languages.

Public API:
- `convert_model(model, out, quantization=...)`, `convert_cached(model, cache_root, ...)`
- `resolve_language(code, available=None)`, `split_supported(codes, available=None)`, `nllb_codes()`
- `TranslationOptions`, `CTranslate2Engine` / `load_engine(model_dir, options)`
- `translate_dataset(dataset, *, model_dir, src_lang, tgt_langs, options, cache_dir, out_dir)`
"""

from sparsexlt.translation.convert import TranslatorManifest, convert_cached, convert_model
from sparsexlt.translation.dataset import read_report, translate_dataset
from sparsexlt.translation.engine import CTranslate2Engine, TranslatedBatch, load_engine
from sparsexlt.translation.languages import (
    lookup_language,
    nllb_codes,
    resolve_language,
    split_supported,
)
from sparsexlt.translation.options import TranslationOptions

__all__ = [
    "CTranslate2Engine",
    "TranslatedBatch",
    "TranslationOptions",
    "TranslatorManifest",
    "convert_cached",
    "convert_model",
    "load_engine",
    "lookup_language",
    "nllb_codes",
    "read_report",
    "resolve_language",
    "split_supported",
    "translate_dataset",
]
