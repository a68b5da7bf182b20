"""CSV/TSV rows with the 1-based line each row starts on (quoted fields may span lines)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from sparsexlt.data.lines import raw_lines
from sparsexlt.errors import DataFormatError


def csv_rows(
    path: str | Path, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL
) -> Iterator[tuple[int, list[str]]]:
    """(start line, fields) for each record; csv errors become DataFormatError with the line."""
    reader = csv.reader(raw_lines(path), delimiter=delimiter, quoting=quoting, strict=True)
    start = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataFormatError(path, reader.line_num, f"bad CSV: {err}") from None
        yield start, row
        start = reader.line_num + 1


def is_blank(row: list[str]) -> bool:
    """True for an empty or whitespace-only line (the csv module gives [] or one blank field):
    every reader skips and counts these instead of reporting a 1-column row."""
    return not row or (len(row) == 1 and not row[0].strip())


def check_width(path: str | Path, line: int, row: list[str], width: int) -> None:
    if len(row) != width:
        raise DataFormatError(path, line, f"expected {width} columns, found {len(row)}")
