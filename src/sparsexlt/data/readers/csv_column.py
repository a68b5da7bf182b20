"""`csv-column`: one named column of a CSV with a header -> text (for language SFTs).

For parallel CSVs such as NusaX-MT (`indonesian,javanese,...`). Every row must have as many
fields as the header; blank or whitespace-only lines are skipped and rows whose cell in `column`
is empty are dropped, both counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sparsexlt.data.readers.base import Reader
from sparsexlt.data.readers.csv_rows import check_width, csv_rows, is_blank
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import TEXT
from sparsexlt.errors import DataFormatError


def read(path: str | Path, report: ReadReport, *, column: str) -> dict[str, list[Any]]:
    rows = csv_rows(path)
    header = next(rows, None)
    if header is None:
        raise DataFormatError(path, 1, "empty file; expected a header line")
    names = header[1]
    if column not in names:
        raise DataFormatError(path, 1, f"no column {column!r}; columns: {', '.join(names)}")
    where = names.index(column)
    texts = []
    for line, row in rows:
        if is_blank(row):
            report.skip("blank lines")
            continue
        check_width(path, line, row, len(names))
        text = row[where].strip()
        if text:
            texts.append(text)
        else:
            report.drop(f"empty {column!r} cell")
    return {"text": texts}


READER = Reader("csv-column", read, (TEXT,), "one named column of a CSV as plain text (NusaX-MT)")
