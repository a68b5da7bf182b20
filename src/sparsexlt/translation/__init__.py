"""NLLB through CTranslate2 for translate-train: convert models, map language codes, translate
task datasets (cached, resumable; marker projection for token tasks), adapt NLLB to new languages.

Public API (imported lazily, so `sparsexlt.translation.languages` stays cheap to import):
- `convert_model(model, out, quantization=...)`, `convert_cached(model, cache_root, ...)`
- `resolve_language(code, available=None)`, `split_supported(codes, available=None)`, `nllb_codes()`
- `TranslationOptions`, `CTranslate2Engine` / `load_engine(model_dir, options)`
- `translate_dataset(dataset, *, model_dir, src_lang, tgt_langs, options, cache_dir, out_dir)`
- `adapt_translator(base_model, train_pairs, eval_pairs, AdaptConfig(...), out_dir)`
"""

from __future__ import annotations

from sparsexlt.util.lazy import lazy_exports

_EXPORTS = {
    "AdaptConfig": "adapt",
    "AdaptResult": "adapt",
    "adapt_translator": "adapt",
    "TranslatorManifest": "manifest",
    "converted_manifest": "manifest",
    "convert_cached": "convert",
    "convert_model": "convert",
    "read_report": "dataset",
    "translate_dataset": "dataset",
    "CTranslate2Engine": "engine",
    "TranslatedBatch": "engine",
    "load_engine": "engine",
    "lookup_language": "languages",
    "nllb_codes": "languages",
    "resolve_language": "languages",
    "split_supported": "languages",
    "TranslationOptions": "options",
    "read_parallel_csv": "parallel",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
