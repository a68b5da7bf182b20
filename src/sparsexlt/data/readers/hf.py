"""`hf`: a Hugging Face dataset -> any task type (the caller names it).

`path` is what `datasets.load_dataset` takes (a hub id, a local dataset folder or script, or a
packaged builder such as "json" with `data_files`), or a folder written by `save_to_disk`. Rows
are checked and converted like JSON lines (see `records.py`): `fields` maps schema columns to the
dataset's columns, ClassLabel integers are decoded to their names, `id` defaults to the 0-based
row index. Errors name the row as "index i".
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

import datasets
from datasets import ClassLabel

from sparsexlt.data.readers.base import Reader
from sparsexlt.data.readers.records import RecordConverter
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import empty_columns
from sparsexlt.errors import DataFormatError

SAVED_MARKERS = ("state.json", "dataset_dict.json")


def read(
    path: str | Path,
    report: ReadReport,
    *,
    name: str | None = None,
    split: str = "train",
    fields: Mapping[str, str] | None = None,
    labels: Collection[str] | None = None,
    data_files: Any = None,
    revision: str | None = None,
    cache_dir: str | None = None,
) -> dict[str, list[Any]]:
    dataset = load(path, name, split, data_files, revision, cache_dir)
    convert = RecordConverter(path, report.task_type, fields, labels)
    decoders = {c: d for c, f in dataset.features.items() if (d := _decoder(f)) is not None}
    out = empty_columns(report.task_type)
    for index, record in enumerate(dataset):
        where = f"index {index}: "
        for column, decode in decoders.items():
            try:
                record[column] = decode(record[column])
            except ValueError as err:
                raise DataFormatError(path, None, f"{where}column {column!r}: {err}") from None
        for column, value in convert(record, None, where, str(index)).items():
            out[column].append(value)
    return out


def load(
    path: str | Path,
    name: str | None,
    split: str,
    data_files: Any = None,
    revision: str | None = None,
    cache_dir: str | None = None,
) -> datasets.Dataset:
    """One split, from a `save_to_disk` folder or through `datasets.load_dataset`."""
    folder = Path(path)
    if folder.is_dir() and any((folder / marker).is_file() for marker in SAVED_MARKERS):
        saved = datasets.load_from_disk(str(folder))
        if isinstance(saved, datasets.DatasetDict):
            if split not in saved:
                raise DataFormatError(path, None, f"no split {split!r}; splits: {list(saved)}")
            saved = saved[split]
        return saved
    return datasets.load_dataset(
        str(path), name, split=split, data_files=data_files, revision=revision, cache_dir=cache_dir
    )


def _decoder(feature: Any) -> Callable[[Any], Any] | None:
    """ClassLabel ids -> names, for a label column or a list of labels."""
    if isinstance(feature, ClassLabel):
        return feature.int2str
    inner = getattr(feature, "feature", None)
    if isinstance(inner, ClassLabel):
        return lambda values: [inner.int2str(v) for v in values]
    return None


READER = Reader(
    "hf",
    read,
    (),
    "a Hugging Face dataset (load_dataset id/path, or a save_to_disk folder) mapped to a schema",
)
