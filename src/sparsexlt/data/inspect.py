"""What `sparsexlt data inspect` reports about a file: counts, label distribution, problems.

Counts: `examples` (for CoNLL and CoNLL-U an example is a sentence); `tokens` are the schema's
tokens for token-level formats and whitespace-separated words of the text otherwise (premise and
hypothesis together for pairs); `sentences` equals `examples` for token-level and plain-text
formats and is None for classification formats, whose texts may hold several sentences;
`labels` counts what the task predicts (label, tag, or DEPREL). `problems` hold the read error
(file:line: message) and make `ok` false; `warnings` (duplicate ids, no examples) do not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from datasets import Dataset

from sparsexlt.data.registry import read_with_report
from sparsexlt.data.schema import (
    LABEL_COLUMN,
    PAIR_CLASSIFICATION,
    SEQUENCE_CLASSIFICATION,
    column,
)
from sparsexlt.errors import DeterministicError

SENTENCE_FREE = {SEQUENCE_CLASSIFICATION, PAIR_CLASSIFICATION}


@dataclass
class Inspection:
    path: str
    format: str
    task_type: str | None = None
    examples: int = 0
    tokens: int = 0
    sentences: int | None = None
    labels: dict[str, int] = field(default_factory=dict)
    dropped: int = 0
    dropped_reasons: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def inspect_file(
    path: str | Path, format: str, task_type: str | None = None, **options: Any
) -> Inspection:
    """Read `path` as `format` and describe it; a malformed file gives a problem, not a raise."""
    result = Inspection(str(path), format, task_type)
    try:
        dataset, report = read_with_report(path, format, task_type, **options)
    except DeterministicError as err:
        result.problems.append(str(err))
        return result
    result.task_type = report.task_type
    result.examples = report.examples
    result.dropped = report.total_dropped
    result.dropped_reasons = dict(report.dropped)
    result.skipped = dict(report.skipped)
    result.tokens = _count_tokens(dataset)
    result.sentences = None if report.task_type in SENTENCE_FREE else report.examples
    result.labels = _label_counts(dataset, LABEL_COLUMN[report.task_type])
    result.warnings = _warnings(dataset)
    return result


def _count_tokens(dataset: Dataset) -> int:
    names = dataset.column_names
    if "tokens" in names:
        return sum(len(tokens) for tokens in column(dataset, "tokens"))
    names = [c for c in ("text", "premise", "hypothesis") if c in names]
    return sum(len(text.split()) for c in names for text in column(dataset, c))


def _label_counts(dataset: Dataset, name: str | None) -> dict[str, int]:
    if name is None:
        return {}
    counts: Counter[str] = Counter()
    for value in column(dataset, name):
        if isinstance(value, list):
            counts.update(value)
        elif value is not None:
            counts[value] += 1
    return dict(sorted(counts.items()))


def _warnings(dataset: Dataset) -> list[str]:
    warnings = []
    if len(dataset) == 0:
        warnings.append("no examples")
    if "id" in dataset.column_names:
        repeated = [i for i, n in Counter(column(dataset, "id")).items() if n > 1]
        if repeated:
            warnings.append(f"{len(repeated)} id(s) occur more than once, e.g. {repeated[0]!r}")
    return warnings
