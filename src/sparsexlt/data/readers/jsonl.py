"""`jsonl`: one JSON object per line -> any task type (the caller names it).

The task type decides the required fields (its schema columns; `id` optional, default the
1-based line number); `fields` maps schema columns to differently named JSON fields. Blank lines
are skipped and counted; a line that is not a JSON object is an error naming the line.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from sparsexlt.data.lines import read_lines
from sparsexlt.data.readers.base import Reader
from sparsexlt.data.readers.records import RecordConverter
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import empty_columns
from sparsexlt.errors import DataFormatError


def read(
    path: str | Path,
    report: ReadReport,
    *,
    fields: Mapping[str, str] | None = None,
    labels: Collection[str] | None = None,
) -> dict[str, list[Any]]:
    convert = RecordConverter(path, report.task_type, fields, labels)
    out = empty_columns(report.task_type)
    for line, text in read_lines(path):
        if not text.strip():
            report.skip("blank lines")
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as err:
            raise DataFormatError(path, line, f"bad JSON: {err.msg} (column {err.colno})") from None
        for name, value in convert(record, line, "", str(line)).items():
            out[name].append(value)
    return out


READER = Reader(
    "jsonl", read, (), "JSON lines, one object per line; fields mapped to a task schema"
)
