"""Free-form records (JSON lines, Hugging Face rows) -> rows of a task schema, with checks.

`fields` maps a schema column to the record's field name when they differ (e.g.
`{"text": "sentence", "label": "sentiment"}`). Every column of the task type is required except
`id` (default: the line or row number). Integer labels are turned into strings ("0", "1", ...)
unless the caller decoded them first.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from sparsexlt.data.checks import check_label, require_text
from sparsexlt.data.schema import LABEL_COLUMN, columns_of
from sparsexlt.errors import ConfigError, DataFormatError

# How each schema column is checked: one string, a list of strings, or a list of integers.
TEXT, TEXTS, INTS = "text", "texts", "ints"
KIND = {
    "text": TEXT,
    "premise": TEXT,
    "hypothesis": TEXT,
    "label": TEXT,
    "tokens": TEXTS,
    "tags": TEXTS,
    "upos": TEXTS,
    "deprels": TEXTS,
    "heads": INTS,
}


class RecordConverter:
    """Checks and converts records of one source into rows of `task_type`."""

    def __init__(
        self,
        path: str | Path,
        task_type: str,
        fields: Mapping[str, str] | None = None,
        labels: Collection[str] | None = None,
    ):
        self.path = path
        self.task_type = task_type
        self.columns = columns_of(task_type)
        fields = dict(fields or {})
        unknown = [name for name in fields if name not in self.columns]
        if unknown:
            problems = [
                f"fields.{n}: not a column of {task_type} ({self.columns})" for n in unknown
            ]
            raise ConfigError(str(path), problems)
        self.source = {name: fields.get(name, name) for name in self.columns}
        self.labels = labels
        self.label_column = LABEL_COLUMN[task_type]

    def __call__(self, record: Any, line: int | None, where: str, fallback_id: str) -> dict:
        """`where` prefixes messages ("" for files with lines, "index 7: " for datasets)."""
        if not isinstance(record, Mapping):
            raise DataFormatError(
                self.path, line, f"{where}expected an object, got {type(record).__name__}"
            )
        row = {}
        for name in self.columns:
            source = self.source[name]
            if name == "id":
                value = record.get(source)
                row["id"] = fallback_id if value is None else str(value)
                continue
            if source not in record:
                raise DataFormatError(
                    self.path, line, f"{where}missing field {source!r} ({self.task_type})"
                )
            row[name] = self._value(name, record[source], line, f"{where}field {source!r}: ")
        self._check_lengths(row, line, where)
        return row

    def _value(self, name: str, value: Any, line: int | None, where: str) -> Any:
        is_label = name == self.label_column
        kind = KIND[name]
        if kind == TEXT:
            return self._string(value, is_label, line, where)
        if not isinstance(value, list) or not value:
            raise DataFormatError(self.path, line, f"{where}expected a non-empty list")
        if kind == INTS:
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
                raise DataFormatError(self.path, line, f"{where}expected a list of integers")
            return value
        return [self._string(v, is_label, line, where) for v in value]

    def _string(self, value: Any, is_label: bool, line: int | None, where: str) -> str:
        """A non-empty string; labels may also be integers (class ids) and are checked."""
        if is_label and isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise DataFormatError(
                self.path, line, f"{where}expected a string, got {type(value).__name__}"
            )
        if is_label:
            return check_label(value, self.labels, self.path, line, where.rstrip(": "))
        return require_text(value, self.path, line, where.rstrip(": "))

    def _check_lengths(self, row: dict, line: int | None, where: str) -> None:
        lengths = {name: len(row[name]) for name in self.columns if KIND.get(name) in (TEXTS, INTS)}
        if len(set(lengths.values())) > 1:
            raise DataFormatError(self.path, line, f"{where}list lengths differ: {lengths}")
        n = lengths.get("heads")
        if n is None:
            return
        if any(h < 0 or h > n for h in row["heads"]):
            raise DataFormatError(self.path, line, f"{where}heads must lie in [0, {n}]")
        for word, head in enumerate(row["heads"], start=1):
            if head == word:  # as the conllu reader: a word cannot be its own head
                field = self.source["heads"]
                message = f"{where}field {field!r}: word {word} is its own head"
                raise DataFormatError(self.path, line, message)
