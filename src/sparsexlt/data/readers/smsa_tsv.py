"""`smsa-tsv`: `text<TAB>label` lines without a header (SmSA) -> sequence-classification.

Ids are the 1-based line numbers. Read with QUOTE_NONE: quote characters are text. SmSA overlaps
NusaX test; pass `dedup_against=[...]` to `read_dataset` to remove those sentences (a general
option of every format, see `sparsexlt.data.dedup`).
"""

from __future__ import annotations

import csv
from collections.abc import Collection
from pathlib import Path
from typing import Any

from sparsexlt.data.checks import check_label, require_text
from sparsexlt.data.readers.base import Reader
from sparsexlt.data.readers.csv_rows import check_width, csv_rows, is_blank
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import SEQUENCE_CLASSIFICATION, empty_columns


def read(
    path: str | Path, report: ReadReport, *, labels: Collection[str] | None = None
) -> dict[str, list[Any]]:
    columns = empty_columns(SEQUENCE_CLASSIFICATION)
    for line, row in csv_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE):
        if is_blank(row):
            report.skip("blank lines")
            continue
        check_width(path, line, row, 2)
        columns["id"].append(str(line))
        columns["text"].append(require_text(row[0], path, line, "text"))
        columns["label"].append(check_label(row[1], labels, path, line, "label"))
    return columns


READER = Reader(
    "smsa-tsv", read, (SEQUENCE_CLASSIFICATION,), "TSV text<TAB>label, no header (SmSA)"
)
