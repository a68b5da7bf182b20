"""`text`: plain text, one sentence per line -> text (for language SFTs).

Lines are stripped of surrounding whitespace; blank lines are skipped and counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sparsexlt.data.lines import read_lines
from sparsexlt.data.readers.base import Reader
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import TEXT


def read(path: str | Path, report: ReadReport) -> dict[str, list[Any]]:
    texts = []
    for _, line in read_lines(path):
        line = line.strip()
        if line:
            texts.append(line)
        else:
            report.skip("blank lines")
    return {"text": texts}


READER = Reader("text", read, (TEXT,), "plain text, one sentence per line")
