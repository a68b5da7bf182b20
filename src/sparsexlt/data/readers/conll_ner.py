"""`conll-ner`: CoNLL NER, `token tag` per line -> token-classification (one example a sentence).

Fields are separated by spaces or tabs; the token is the first field and the tag the last (so
CoNLL-2003's `token POS chunk tag` works too). A blank line ends a sentence; `-DOCSTART-` lines
are skipped and counted. Ids are the 1-based line number of a sentence's first token.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from sparsexlt.data.checks import check_label
from sparsexlt.data.lines import read_lines
from sparsexlt.data.readers.base import Reader
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import TOKEN_CLASSIFICATION, empty_columns
from sparsexlt.errors import DataFormatError

DOCSTART = "-DOCSTART-"


def read(
    path: str | Path, report: ReadReport, *, labels: Collection[str] | None = None
) -> dict[str, list[Any]]:
    out = empty_columns(TOKEN_CLASSIFICATION)
    tokens: list[str] = []
    tags: list[str] = []
    start = 0

    def end_sentence() -> None:
        if tokens:
            out["id"].append(str(start))
            out["tokens"].append(list(tokens))
            out["tags"].append(list(tags))
            tokens.clear()
            tags.clear()

    for line, text in read_lines(path):
        fields = text.split()
        if not fields:
            end_sentence()
            continue
        if fields[0] == DOCSTART:
            end_sentence()
            report.skip("-DOCSTART- lines")
            continue
        if len(fields) < 2:
            raise DataFormatError(path, line, f"expected 'token tag', found {text.strip()!r}")
        if not tokens:
            start = line
        tokens.append(fields[0])
        tags.append(check_label(fields[-1], labels, path, line, "tag"))
    end_sentence()
    return out


READER = Reader(
    "conll-ner",
    read,
    (TOKEN_CLASSIFICATION,),
    "CoNLL NER: token and tag per line, blank line between sentences (MasakhaNER)",
)
