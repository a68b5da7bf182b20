"""Decoding input files line by line, so every error can name its 1-based line.

All readers go through here: UTF-8, with a byte-order mark at the start tolerated (MasakhaNER
`luo/train.txt` has one), and bytes that are not UTF-8 reported with their line instead of a
bare UnicodeDecodeError.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from sparsexlt.errors import DataFormatError


def raw_lines(path: str | Path) -> Iterator[str]:
    """Decoded lines with their line endings kept (for the csv module, which needs them)."""
    with open(path, "rb") as f:
        for number, data in enumerate(f, start=1):
            if number == 1 and data.startswith(codecs.BOM_UTF8):
                data = data[len(codecs.BOM_UTF8) :]
            try:
                yield data.decode("utf-8")
            except UnicodeDecodeError as err:
                raise DataFormatError(path, number, f"not UTF-8 ({err.reason})") from None


def read_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without its '\\n' or '\\r\\n')."""
    for number, line in enumerate(raw_lines(path), start=1):
        yield number, line.rstrip("\r\n")
