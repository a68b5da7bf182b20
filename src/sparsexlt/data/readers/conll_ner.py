"""`conll-ner`: CoNLL NER, `token tag` per line -> token-classification (one example a sentence).

Fields are separated by ASCII spaces or tabs only, so other Unicode spaces (a no-break space in
`Lagos\u00a0State`) stay inside the token; the token is the first field and the tag the last (so
CoNLL-2003's `token POS chunk tag` works too). A blank (or whitespace-only) line ends a sentence;
`-DOCSTART-` lines are skipped and counted. Ids are the 1-based line number of a sentence's first
token.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from sparsexlt.data.checks import check_label, require_text
from sparsexlt.data.lines import read_lines
from sparsexlt.data.readers.base import Reader
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import TOKEN_CLASSIFICATION, empty_columns
from sparsexlt.errors import DataFormatError

DOCSTART = "-DOCSTART-"
SEPARATOR = re.compile(r"[ \t]+")


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
        if not text.strip():
            end_sentence()
            continue
        fields = SEPARATOR.split(text.strip(" \t"))
        if fields[0] == DOCSTART:
            end_sentence()
            report.skip("-DOCSTART- lines")
            continue
        if len(fields) < 2:
            raise DataFormatError(
                path, line, f"expected 'token tag' (space or tab between), found {text.strip()!r}"
            )
        if not tokens:
            start = line
        tokens.append(require_text(fields[0], path, line, "token"))
        tags.append(check_label(fields[-1], labels, path, line, "tag"))
    end_sentence()
    return out


READER = Reader(
    "conll-ner",
    read,
    (TOKEN_CLASSIFICATION,),
    "CoNLL NER: token and tag per line, blank line between sentences (MasakhaNER)",
)
