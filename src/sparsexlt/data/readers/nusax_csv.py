"""`nusax-csv`: NusaX-Senti CSV with the header `id,text,label` -> sequence-classification.

Columns are found by header name (order free, extra columns ignored); every row must have as
many fields as the header. Blank or whitespace-only lines are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from sparsexlt.data.checks import check_label, require_text
from sparsexlt.data.readers.base import Reader
from sparsexlt.data.readers.csv_rows import check_width, csv_rows, is_blank
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import SEQUENCE_CLASSIFICATION, empty_columns
from sparsexlt.errors import DataFormatError

REQUIRED = ("id", "text", "label")


def read(
    path: str | Path, report: ReadReport, *, labels: Collection[str] | None = None
) -> dict[str, list[Any]]:
    columns = empty_columns(SEQUENCE_CLASSIFICATION)
    rows = csv_rows(path)
    header = next(rows, None)
    if header is None:
        raise DataFormatError(path, 1, "empty file; expected the header id,text,label")
    _, names = header
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        found = ", ".join(names)
        found = found if len(found) <= 80 else found[:77] + "..."
        raise DataFormatError(path, 1, f"header lacks {', '.join(missing)} (found: {found})")
    where = {name: names.index(name) for name in REQUIRED}
    for line, row in rows:
        if is_blank(row):
            report.skip("blank lines")
            continue
        check_width(path, line, row, len(names))
        columns["id"].append(require_text(row[where["id"]], path, line, "id"))
        columns["text"].append(require_text(row[where["text"]], path, line, "text"))
        columns["label"].append(check_label(row[where["label"]], labels, path, line, "label"))
    return columns


READER = Reader(
    "nusax-csv", read, (SEQUENCE_CLASSIFICATION,), "CSV with header id,text,label (NusaX-Senti)"
)
