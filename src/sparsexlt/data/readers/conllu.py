"""`conllu` / `conllu-pos`: CoNLL-U -> dependency-parsing, or token-classification with UPOS tags.

One example is a sentence of syntactic words: multiword-token range lines (`1-2`) and empty
nodes (`8.1`) are skipped and counted, comments are skipped. Checked: 10 tab-separated columns,
integer IDs 1, 2, 3, ... in order, HEAD an integer in [0, number of words] and not the word
itself, DEPREL present (dependency view) or UPOS present (POS view). Ids are the `# sent_id`
when given, else the 1-based line number of the sentence's first line.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparsexlt.data.checks import check_label
from sparsexlt.data.lines import read_lines
from sparsexlt.data.readers.base import Reader
from sparsexlt.data.report import ReadReport
from sparsexlt.data.schema import DEPENDENCY_PARSING, TOKEN_CLASSIFICATION, empty_columns
from sparsexlt.errors import DataFormatError

ID, FORM, UPOS, HEAD, DEPREL = 0, 1, 3, 6, 7


@dataclass
class Word:
    line: int
    form: str
    upos: str
    head: str
    deprel: str


@dataclass
class Sentence:
    start: int
    sent_id: str | None = None
    words: list[Word] = field(default_factory=list)


def read(
    path: str | Path, report: ReadReport, *, labels: Collection[str] | None = None
) -> dict[str, list[Any]]:
    pos_view = report.task_type == TOKEN_CLASSIFICATION
    out = empty_columns(report.task_type)
    for sentence in sentences(path, report):
        out["id"].append(sentence.sent_id or str(sentence.start))
        out["tokens"].append([w.form for w in sentence.words])
        if pos_view:
            out["tags"].append(
                [_label(path, w.line, w.upos, labels, "UPOS") for w in sentence.words]
            )
            continue
        out["upos"].append([w.upos for w in sentence.words])
        out["heads"].append(_heads(path, sentence))
        out["deprels"].append(
            [_label(path, w.line, w.deprel, labels, "DEPREL") for w in sentence.words]
        )
    return out


def _label(
    path: str | Path, line: int, value: str, labels: Collection[str] | None, what: str
) -> str:
    """The label the task predicts; `_` (unannotated) is an error here."""
    if value == "_":
        raise DataFormatError(path, line, f"{what} is '_' (not annotated)")
    return check_label(value, labels, path, line, what)


def sentences(path: str | Path, report: ReadReport) -> Iterator[Sentence]:
    """Sentences of syntactic words, IDs checked; HEAD values are checked by the caller."""
    current: Sentence | None = None
    for line, text in read_lines(path):
        if not text.strip():
            if current is not None:
                yield _finish(path, current)
            current = None
            continue
        if current is None:
            current = Sentence(start=line)
        if text.startswith("#"):
            key, _, value = text[1:].partition("=")
            if key.strip() == "sent_id" and value.strip():
                current.sent_id = value.strip()
            continue
        _add_line(path, line, text, current, report)
    if current is not None:
        yield _finish(path, current)


def _add_line(
    path: str | Path, line: int, text: str, sentence: Sentence, report: ReadReport
) -> None:
    cols = text.split("\t")
    if len(cols) != 10:
        raise DataFormatError(path, line, f"expected 10 tab-separated columns, found {len(cols)}")
    word_id = cols[ID]
    if "-" in word_id:
        _check_range(path, line, word_id)
        report.skip("multiword-token lines")
        return
    if "." in word_id:
        report.skip("empty nodes")
        return
    expected = len(sentence.words) + 1
    if word_id != str(expected):
        raise DataFormatError(path, line, f"ID {word_id!r} out of sequence; expected {expected}")
    if not cols[FORM]:
        raise DataFormatError(path, line, "empty FORM")
    sentence.words.append(Word(line, cols[FORM], cols[UPOS], cols[HEAD], cols[DEPREL]))


def _check_range(path: str | Path, line: int, word_id: str) -> None:
    first, _, last = word_id.partition("-")
    if not (first.isdecimal() and last.isdecimal() and int(first) < int(last)):
        raise DataFormatError(path, line, f"bad multiword-token range {word_id!r}")


def _finish(path: str | Path, sentence: Sentence) -> Sentence:
    if not sentence.words:
        raise DataFormatError(path, sentence.start, "sentence without words")
    return sentence


def _heads(path: str | Path, sentence: Sentence) -> list[int]:
    n = len(sentence.words)
    heads = []
    for index, word in enumerate(sentence.words, start=1):
        if not word.head.isdecimal() or int(word.head) > n:
            raise DataFormatError(path, word.line, f"HEAD {word.head!r} not an integer in [0, {n}]")
        if int(word.head) == index:
            raise DataFormatError(path, word.line, f"HEAD {word.head} is the word itself")
        heads.append(int(word.head))
    return heads


READER = Reader(
    "conllu",
    read,
    (DEPENDENCY_PARSING, TOKEN_CLASSIFICATION),
    "CoNLL-U (Universal Dependencies): tokens, UPOS, HEAD, DEPREL; task token-classification = POS",
)
POS_READER = Reader(
    "conllu-pos",
    read,
    (TOKEN_CLASSIFICATION,),
    "CoNLL-U read as POS tagging: tokens and UPOS tags",
)
