"""Data formats by name: `read_dataset(path, format, ...)` looks the reader up, no if-chain.

Options every format takes, on top of its reader's own (see `available_formats()`):
- `dedup_against`: evaluation sets whose texts must not occur in this data (see `dedup.py`);
  each item is a Dataset, a list of strings, a `{"path", "format", "options"?}` mapping,
  or a bare path read with the format its suffix names (`FORMAT_BY_SUFFIX`).
- `dedup_near_jaccard`: also drop near-duplicates at this token-Jaccard threshold (e.g. 0.7).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from datasets import Dataset

from sparsexlt.data import dedup
from sparsexlt.data.readers import (
    conll_ner,
    conllu,
    csv_column,
    hf,
    jsonl,
    nusax_csv,
    pair_tsv,
    smsa_tsv,
    text,
)
from sparsexlt.data.readers.base import Reader
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import TASK_TYPES, to_dataset
from sparsexlt.errors import ConfigError, DataFormatError
from sparsexlt.util.progress import log

READERS: dict[str, Reader] = {
    reader.name: reader
    for reader in (
        nusax_csv.READER,
        smsa_tsv.READER,
        pair_tsv.READER,
        conll_ner.READER,
        conllu.READER,
        conllu.POS_READER,
        text.READER,
        csv_column.READER,
        jsonl.READER,
        hf.READER,
    )
}

# Options `read_with_report` handles itself, for every format.
COMMON_OPTIONS = ("dedup_against", "dedup_near_jaccard")

FORMAT_BY_SUFFIX = {".csv": "nusax-csv", ".tsv": "smsa-tsv", ".txt": "text", ".conllu": "conllu"}

# Formats whose `path` is not necessarily a local file.
REMOTE_FORMATS = {"hf"}


def register_reader(reader: Reader) -> None:
    """Add a format (e.g. from a plugin); names are unique."""
    if reader.name in READERS and READERS[reader.name] is not reader:
        raise ValueError(f"format {reader.name!r} registered twice")
    READERS[reader.name] = reader


def available_formats() -> dict[str, Reader]:
    """Format name -> Reader (description, task types, options), sorted by name."""
    return dict(sorted(READERS.items()))


def get_reader(name: str, source: str = "data source") -> Reader:
    try:
        return READERS[name]
    except KeyError:
        known = ", ".join(sorted(READERS))
        raise ConfigError(source, [f"format: unknown {name!r}; known: {known}"]) from None


def read_dataset(
    path: str | Path, format: str, task_type: str | None = None, **options: Any
) -> Dataset:
    """The Dataset of `path` read as `format` (schema: `sparsexlt.data.schema`).

    What was skipped or dropped is logged (stderr, unless quiet); use `read_with_report` to get
    it as a value.
    """
    return read_with_report(path, format, task_type, **options)[0]


def read_with_report(
    path: str | Path,
    format: str,
    task_type: str | None = None,
    *,
    dedup_against: Iterable[Any] | None = None,
    dedup_near_jaccard: float | None = None,
    **options: Any,
) -> tuple[Dataset, ReadReport]:
    """Like `read_dataset`, also returning the ReadReport (examples, skipped, dropped).

    The Dataset's `info.description` names its source (`path (format)`), so later steps such
    as evaluation can name the data in their errors; it is set after construction and so does
    not change the Dataset's fingerprint.
    """
    reader = get_reader(format, str(path))
    task_type = _task_type(reader, task_type, path)
    options = _options(reader, options, path)
    if format not in REMOTE_FORMATS and not Path(path).is_file():
        raise DataFormatError(path, None, "no such file")
    report = ReadReport(str(path), format, task_type)
    dataset = to_dataset(reader.read(path, report, **options), task_type)
    if dedup_against:
        references = [_reference(ref, path) for ref in dedup_against]
        result = dedup.dedup_against(dataset, references, dedup_near_jaccard)
        report.drop(dedup.EXACT_REASON, result.exact)
        if result.near:
            report.drop(dedup.near_reason(dedup_near_jaccard), result.near)
        dataset = result.dataset
    report.examples = len(dataset)
    dataset.info.description = f"{path} ({format})"
    if report.dropped:
        log(report.summary())
    return dataset, report


def _task_type(reader: Reader, task_type: str | None, path: str | Path) -> str:
    allowed = reader.task_types or TASK_TYPES
    if task_type is None and reader.task_types:
        return reader.task_types[0]
    if task_type is None or task_type not in allowed:
        given = "none given" if task_type is None else f"got {task_type!r}"
        problem = f"task_type: format {reader.name!r} needs one of {', '.join(allowed)}; {given}"
        raise ConfigError(str(path), [problem])
    return task_type


def _options(reader: Reader, options: Mapping[str, Any], path: str | Path) -> dict[str, Any]:
    accepted = reader.options()
    problems = [
        f"{name}: format {reader.name!r} takes no such option (options: {', '.join(accepted)})"
        for name in options
        if name not in accepted
    ]
    problems += [
        f"{name}: required by format {reader.name!r}"
        for name, default in accepted.items()
        if default is inspect.Parameter.empty and name not in options
    ]
    labels = options.get("labels")
    if isinstance(labels, str):
        problems.append("labels: give a list of labels, not one string")
    if problems:
        raise ConfigError(str(path), problems)
    options = dict(options)
    if labels is not None:
        options["labels"] = frozenset(labels)
    return options


def _reference(ref: Any, path: str | Path) -> Dataset | list[str]:
    """One `dedup_against` item as a Dataset or a list of texts."""
    if isinstance(ref, Dataset):
        return ref
    if isinstance(ref, Mapping):  # {path, format, task_type?, options?, **options}
        ref = dict(ref)
        options = ref.pop("options", None) or {}
        return read_dataset(**ref, **options)
    if isinstance(ref, (str, Path)):
        fmt = FORMAT_BY_SUFFIX.get(Path(ref).suffix)
        if fmt is None:
            problem = (
                f"dedup_against: cannot tell the format of {str(ref)!r}; give {{path, format}}"
            )
            raise ConfigError(str(path), [problem])
        return read_dataset(ref, fmt)
    return list(ref)
