"""`pair-tsv`: premise/hypothesis/label TSV (XNLI, AmericasNLI) -> pair-classification.

Options:
- `header`: the first line names the columns (AmericasNLI) or not (XTREME-style XNLI).
- `columns`: role -> 0-based position, or header name when `header=True`. Roles: premise,
  hypothesis, label, and optionally id. Default: positions 0, 1, 2 (names premise, hypothesis,
  label with a header).
- `has_labels=False` for files without labels (XNLI test): `label` is then None for every row.
- `width`: fields per row without a header (default: the largest position + 1); with a header,
  every row must have as many fields as the header.
Ids come from the `id` column when mapped, else the 1-based line number. Read with QUOTE_NONE.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from sparsexlt.data.checks import check_label, require_text
from sparsexlt.data.readers.base import Reader
from sparsexlt.data.readers.csv_rows import check_width, csv_rows, is_blank
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import PAIR_CLASSIFICATION, empty_columns
from sparsexlt.errors import ConfigError, DataFormatError

ROLES = ("id", "premise", "hypothesis", "label")


def read(
    path: str | Path,
    report: ReadReport,
    *,
    header: bool = False,
    columns: Mapping[str, int | str] | None = None,
    has_labels: bool = True,
    width: int | None = None,
    labels: Collection[str] | None = None,
) -> dict[str, list[Any]]:
    roles = _roles(path, columns, has_labels, header)
    rows = csv_rows(path, delimiter="\t", quoting=csv.QUOTE_NONE)
    if header:
        first = next(rows, None)
        if first is None:
            raise DataFormatError(path, 1, "empty file; expected a header line")
        names = first[1]
        width = len(names)
        roles = {role: _position(path, names, where) for role, where in roles.items()}
    elif width is None:
        width = max(roles.values()) + 1
    if max(roles.values()) >= width:
        raise ConfigError(str(path), [f"columns: position {max(roles.values())} >= width {width}"])
    out = empty_columns(PAIR_CLASSIFICATION)
    for line, row in rows:
        if is_blank(row):
            report.skip("blank lines")
            continue
        check_width(path, line, row, width)
        out["id"].append(row[roles["id"]].strip() if "id" in roles else str(line))
        out["premise"].append(require_text(row[roles["premise"]], path, line, "premise"))
        out["hypothesis"].append(require_text(row[roles["hypothesis"]], path, line, "hypothesis"))
        label = row[roles["label"]] if has_labels else None
        out["label"].append(check_label(label, labels, path, line, "label") if has_labels else None)
    return out


def _roles(
    path: str | Path, columns: Mapping[str, int | str] | None, has_labels: bool, header: bool
) -> dict[str, Any]:
    needed = ["premise", "hypothesis"] + (["label"] if has_labels else [])
    if columns is None:
        columns = {role: (role if header else i) for i, role in enumerate(needed)}
    problems = [
        f"columns: unknown role {r!r} (roles: {', '.join(ROLES)})"
        for r in columns
        if r not in ROLES
    ]
    problems += [f"columns: no column given for {r!r}" for r in needed if r not in columns]
    if not has_labels and "label" in columns:
        problems.append("columns: 'label' mapped but has_labels is false")
    if not header:
        bad = [r for r, v in columns.items() if not isinstance(v, int) or v < 0]
        problems += [f"columns.{r}: without a header, give a 0-based position" for r in bad]
    if problems:
        raise ConfigError(str(path), problems)
    return dict(columns)


def _position(path: str | Path, names: list[str], where: int | str) -> int:
    if isinstance(where, int):
        return where
    if where not in names:
        raise DataFormatError(path, 1, f"header {names} has no column {where!r}")
    return names.index(where)


READER = Reader(
    "pair-tsv",
    read,
    (PAIR_CLASSIFICATION,),
    "TSV premise<TAB>hypothesis[<TAB>label] (XNLI/AmericasNLI); header and columns configurable",
)
