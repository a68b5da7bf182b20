"""The data a step reads: a `DataRef` names it and carries its content hash; `load` reads it.

A DataRef is plain data (format, path, options, language, split) plus `key`, the hash of the
bytes it reads (sha256 of the file, or of a folder's files; the dedup files count too), so an
artifact keyed on it is recomputed when the data changes and never when it only moves.
`format: demo` reads nothing: `recipe.demo_data` generates the examples, and the key is that of
the generator version and its arguments.

Plain text for language SFTs may come from any reader: labelled formats contribute their text
(`text`, `premise` + `hypothesis`, or `tokens` joined by spaces).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sparsexlt.config import DataSource
from sparsexlt.config.constants import REMOTE_FORMATS
from sparsexlt.recipe import demo_data
from sparsexlt.util.hashing import hash_json, sha256_file, sha256_tree

UNLABELLED = "unlabelled"
PARALLEL = "parallel"  # one side of sentence-aligned text (MT adaptation)
TEXT_SPLITS = (UNLABELLED, PARALLEL)
TEXT = "text"
DEMO = "demo"
# Options naming files: their contents enter the key (under "dedup"), their paths do not, so the
# key of the same bytes is the same wherever the files live.
PATH_OPTIONS = ("dedup_against",)


@dataclass(frozen=True)
class DataRef:
    """One data source as a step reads it.

    split: `train` / `validation` / `test`, `unlabelled` for a language SFT's plain text, or
        `parallel` for one side of the parallel text that adapts a translation model.
    task_type: the schema wanted (`text` for unlabelled data).
    """

    format: str
    path: str | None
    language: str
    split: str
    task_type: str
    key: str
    options: dict[str, Any] = field(default_factory=dict)


def data_ref(source: DataSource, *, language: str, split: str, task_type: str) -> DataRef:
    """The DataRef of a config data source, with its content key computed now."""
    options = dict(source.options)
    path = None if source.path is None else str(source.path)
    wanted = TEXT if split in TEXT_SPLITS else task_type
    hashed = {k: v for k, v in options.items() if k not in PATH_OPTIONS}
    identity: dict[str, Any] = {"format": source.format, "options": hashed, "schema": wanted}
    if source.format == DEMO:
        identity["demo"] = {"version": demo_data.DEMO_VERSION, "language": language, "split": split}
    elif source.format in REMOTE_FORMATS and not Path(str(path)).exists():
        identity["remote"] = path  # a hub dataset id: its name is all we can hash offline
    else:
        identity["content"] = content_hash(path)
    if "dedup_against" in options:
        identity["dedup"] = [content_hash(p) for p in options["dedup_against"]]
    return DataRef(source.format, path, language, split, wanted, hash_json(identity), options)


def content_hash(path: str | Path | None) -> str:
    """sha256 of a file or folder, memoised within the process on the stat of every file read.

    A folder is keyed on each file's name, size and mtime, not on the folder's own stat: editing
    a file inside a folder leaves the folder's mtime alone, and a long-lived worker (a served
    deployment) must still see the new bytes.
    """
    if path is None:
        raise ValueError("no path to hash")
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file())
        signature = tuple((str(f.relative_to(p)), *_size_mtime(f)) for f in files)
    else:
        signature = (_size_mtime(p),)
    return _cached_hash(str(p.resolve()), signature, p.is_dir())


def _size_mtime(path: Path) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


@lru_cache(maxsize=512)
def _cached_hash(path: str, signature: tuple, is_dir: bool) -> str:
    return sha256_tree(path) if is_dir else sha256_file(path)


def load(ref: DataRef):
    """The `datasets.Dataset` of `ref` in the schema of `ref.task_type`."""
    if ref.format == DEMO:
        return _demo(ref)
    from sparsexlt.data import read_dataset

    if ref.split not in TEXT_SPLITS:
        return read_dataset(ref.path, ref.format, ref.task_type, **ref.options)
    dataset = read_dataset(ref.path, ref.format, _plain_text_schema(ref.format), **ref.options)
    return as_text(dataset)


def _demo(ref: DataRef):
    options = dict(ref.options)
    n, seed = options.pop("n", None), options.pop("seed", 0)
    if options:
        raise ValueError(f"demo data takes options n and seed only, got {sorted(options)}")
    if ref.split == UNLABELLED:
        return demo_data.demo_text(ref.language, n, seed)
    if ref.split == PARALLEL:
        from sparsexlt.data.schema import TEXT as TEXT_SCHEMA
        from sparsexlt.data.schema import to_dataset

        return to_dataset(
            {"text": demo_data.demo_parallel_texts(ref.language, n, seed)}, TEXT_SCHEMA
        )
    if ref.task_type != "sequence-classification":
        raise ValueError(f"demo data is sequence-classification only, not {ref.task_type!r}")
    return demo_data.demo_dataset(ref.language, ref.split, n, seed)


def _plain_text_schema(fmt: str) -> str | None:
    """The schema to read `fmt` in for plain text: `text` for schema-free readers, else None
    (the reader's own default schema, whose text is then extracted)."""
    from sparsexlt.data import get_reader

    return TEXT if not get_reader(fmt).task_types else None


def as_text(dataset):
    """A Dataset with one `text` column from any task schema."""
    from sparsexlt.data.schema import TEXT as TEXT_SCHEMA
    from sparsexlt.data.schema import column, to_dataset

    names = dataset.column_names
    if names == ["text"]:
        return dataset
    if "text" in names:
        texts = column(dataset, "text")
    elif "premise" in names:
        texts = column(dataset, "premise") + column(dataset, "hypothesis")
    elif "tokens" in names:
        texts = [" ".join(tokens) for tokens in column(dataset, "tokens")]
    else:
        raise ValueError(f"no text in columns {names}")
    return to_dataset({"text": [t for t in texts if t and t.strip()]}, TEXT_SCHEMA)
