"""Translate a task dataset into target languages (translate-train), keeping ids and labels.

Which columns are translated follows the task schema (docs/architecture.md):
- `text` (sequence classification, plain text) and `premise` + `hypothesis` (pair
  classification): each translated on its own; every other column is copied unchanged.
- `tokens` + `tags` (token classification): each sentence is translated with its labelled spans
  wrapped in markers and the tags are projected back (`translation.markers`); sentences whose
  markers do not survive are dropped and counted.

Output per target language: `out_dir/<code as given>/` — a `datasets.Dataset` saved with
`save_to_disk` (load it with `datasets.load_from_disk`) plus `report.json` (counts, cache hits,
truncations, drops, time), written atomically. A folder already holding the same job (same
model key, languages and source data) is returned as is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import Dataset, Features

from sparsexlt.errors import DataFormatError
from sparsexlt.translation import markers
from sparsexlt.translation.cache import TranslationCache
from sparsexlt.translation.engine import TranslationEngine, load_engine
from sparsexlt.translation.languages import resolve_language, split_supported
from sparsexlt.translation.options import TranslationOptions
from sparsexlt.translation.texts import translate_texts
from sparsexlt.util.atomic import atomic_dir, atomic_write_json, is_complete
from sparsexlt.util.hashing import combine, hash_json
from sparsexlt.util.progress import log

TEXT_COLUMNS = ("text", "premise", "hypothesis")
REPORT_FILE = "report.json"


@dataclass
class SourcePlan:
    """What to translate in a dataset and how to put the translations back."""

    mode: str  # "text" or "tokens"
    columns: list[str]
    segments: list[str]
    scheme: str = ""
    labels: list[str] = field(default_factory=list)
    expected: list[list[str]] = field(default_factory=list)


def plan_dataset(dataset: Dataset) -> SourcePlan:
    """Find the columns to translate; token datasets get their marked source strings."""
    names = dataset.column_names
    if "tokens" in names:
        if "tags" not in names or any(c in names for c in ("heads", "upos")):
            raise DataFormatError(
                "dataset",
                None,
                f"columns {names}: token datasets need `tokens` + `tags` "
                "(dependency trees cannot be projected through translation)",
            )
        return _plan_tokens(dataset)
    columns = [c for c in TEXT_COLUMNS if c in names]
    if not columns:
        raise DataFormatError(
            "dataset",
            None,
            f"columns {names}: nothing to translate (expected one of "
            f"{', '.join(TEXT_COLUMNS)} or tokens + tags)",
        )
    segments = [t or "" for c in columns for t in dataset[c]]
    return SourcePlan("text", columns, segments)


def _plan_tokens(dataset: Dataset) -> SourcePlan:
    tag_lists = dataset["tags"]
    scheme = markers.tag_scheme(t for tags in tag_lists for t in tags)
    labels = markers.span_labels(tag_lists, scheme)
    segments, expected = [], []
    for tokens, tags in zip(dataset["tokens"], tag_lists, strict=True):
        segments.append(markers.mark_sentence(tokens, tags, labels, scheme))
        expected.append([s.label for s in markers.spans_of(tags, scheme)])
    return SourcePlan("tokens", ["tokens", "tags"], segments, scheme, labels, expected)


def build_output(
    dataset: Dataset,
    plan: SourcePlan,
    translations: dict[str, str],
    data: dict[str, list[Any]] | None = None,
) -> tuple[Dataset, int]:
    """The translated dataset (same columns and features) and how many rows were dropped.

    `data` is `dataset.to_dict()` when the caller already has it (it is not modified).
    """
    data = dataset.to_dict() if data is None else data
    if plan.mode == "text":
        columns = {c: [translations[t or ""] for t in dataset[c]] for c in plan.columns}
        return _with_columns(data, dataset.features, columns), 0
    keep, new_tokens, new_tags = [], [], []
    for i, (segment, expected) in enumerate(zip(plan.segments, plan.expected, strict=True)):
        recovered = markers.recover_sentence(
            translations[segment], expected, plan.labels, plan.scheme
        )
        if recovered is None:
            continue
        keep.append(i)
        new_tokens.append(recovered[0])
        new_tags.append(recovered[1])
    kept = {name: [values[i] for i in keep] for name, values in data.items()}
    out = _with_columns(kept, dataset.features, {"tokens": new_tokens, "tags": new_tags})
    return out, len(dataset) - len(keep)


def _with_columns(
    data: dict[str, list[Any]], features: Features, columns: dict[str, list[Any]]
) -> Dataset:
    """The rows of `data` with some columns' values replaced; column order and features kept."""
    return Dataset.from_dict({**data, **columns}, features=features)


def translate_dataset(
    dataset: Dataset,
    *,
    model_dir: str | Path | None = None,
    src_lang: str,
    tgt_langs: Sequence[str],
    options: TranslationOptions | None = None,
    cache_dir: str | Path,
    out_dir: str | Path,
    engine: TranslationEngine | None = None,
    skip_unsupported: bool = False,
    overwrite: bool = False,
) -> dict[str, Path]:
    """Translate `dataset` from `src_lang` into each of `tgt_langs`; {code as given: folder}.

    `model_dir` is a converted translator (`convert_model`); `engine` replaces it (tests).
    A target the model lacks raises `UnsupportedLanguageError`, or with `skip_unsupported`
    is logged and left out of the result. Unknown codes always raise `UnknownLanguageError`.
    """
    options = options or TranslationOptions()
    _check_one_dataset(dataset)
    if engine is None:
        if model_dir is None:
            raise ValueError("translate_dataset needs model_dir or engine")
        engine = load_engine(model_dir, options)
    src = resolve_language(src_lang, engine.language_codes)
    if skip_unsupported:
        targets, skipped = split_supported(tgt_langs, engine.language_codes)
        for code, reason in skipped.items():
            log(f"translate-train skipped for {code}: {reason}")
    else:
        targets = {code: resolve_language(code, engine.language_codes) for code in tgt_langs}
    plan = plan_dataset(dataset)
    data = dataset.to_dict()
    data_key = hash_json(data)
    paths = {}
    with TranslationCache(cache_dir) as cache:
        for code, tgt in targets.items():
            job = _Job(dataset, data, plan, engine, cache, src, tgt, options, data_key)
            paths[code] = job.run(Path(out_dir) / code, overwrite, src_lang, code)
    return paths


def _check_one_dataset(dataset: Any) -> None:
    """A `DatasetDict` (several splits) is refused by name: one split is translated at a time."""
    from datasets import DatasetDict

    if isinstance(dataset, DatasetDict):
        raise DataFormatError(
            "dataset",
            None,
            f"a DatasetDict with splits {', '.join(dataset)}, not one dataset: translate one "
            f"split at a time (e.g. dataset[{next(iter(dataset), 'train')!r}])",
        )


@dataclass
class _Job:
    dataset: Dataset
    data: dict[str, list[Any]]  # dataset.to_dict(), computed once for every target
    plan: SourcePlan
    engine: TranslationEngine
    cache: TranslationCache
    src: str
    tgt: str
    options: TranslationOptions
    data_key: str

    def key(self) -> str:
        return combine([self.engine.key, self.src, self.tgt, self.data_key])

    def run(self, out: Path, overwrite: bool, src_code: str, tgt_code: str) -> Path:
        if not overwrite and _finished(out, self.key()):
            log(f"translation {self.src}→{self.tgt} already at {out}")
            return out
        start = time.perf_counter()
        translations, stats = translate_texts(
            self.plan.segments,
            engine=self.engine,
            cache=self.cache,
            src=self.src,
            tgt=self.tgt,
            chunk_size=self.options.chunk_size,
        )
        translated, dropped = build_output(self.dataset, self.plan, translations, self.data)
        report: dict[str, Any] = {
            "key": self.key(),
            "model_fingerprint": self.engine.fingerprint,
            "model_key": self.engine.key,
            "src_lang": src_code,
            "tgt_lang": tgt_code,
            "src_code": self.src,
            "tgt_code": self.tgt,
            "mode": self.plan.mode,
            "columns": self.plan.columns,
            "examples_in": len(self.dataset),
            "examples_out": len(translated),
            "dropped_markers_lost": dropped,
            "segments": len(self.plan.segments),
            **stats.to_dict(),
            "total_seconds": round(time.perf_counter() - start, 3),
            "options": self.options.to_dict(),
        }
        from sparsexlt.models.encoding import quiet_datasets  # heavy import, only when saving

        with atomic_dir(out, overwrite=True) as tmp, quiet_datasets():
            translated.save_to_disk(str(tmp))
            atomic_write_json(tmp / REPORT_FILE, report)
        log(
            f"{self.src}→{self.tgt}: {stats.translated} translated, {stats.cache_hits} cached, "
            f"{stats.truncated} truncated, {dropped} dropped → {out}"
        )
        return out


def _finished(out: Path, key: str) -> bool:
    return is_complete(out) and (out / REPORT_FILE).is_file() and read_report(out)["key"] == key


def read_report(folder: str | Path) -> dict[str, Any]:
    """The report.json of a translated dataset folder."""
    return json.loads((Path(folder) / REPORT_FILE).read_text())
