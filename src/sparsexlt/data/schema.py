"""The one schema per task type that every reader produces (see docs/architecture.md, Data).

Readers differ in what they parse; what they return does not, so models, the sampler and
evaluation can be written once per task type instead of once per file format.

| task type                 | columns                                                        |
|---------------------------|----------------------------------------------------------------|
| `sequence-classification` | id: str, text: str, label: str                                  |
| `pair-classification`     | id: str, premise: str, hypothesis: str, label: str             |
| `token-classification`    | id: str, tokens: list[str], tags: list[str]                    |
| `dependency-parsing`      | id: str, tokens: list[str], upos: list[str], heads: list[int], |
|                           | deprels: list[str]                                             |
| `text`                    | text: str (unlabelled text for language SFTs)                  |

Contract:
- `id` is unique within a file and lets a person find the example in it (a line number, or the
  file's own id such as NusaX `id` or CoNLL-U `sent_id`).
- Labels stay strings; the label set of the config maps them to ids at encoding time. A label is
  `None` only where the file has no labels at all (XNLI test), never for a single row.
- `tokens`, `tags`, `upos`, `heads`, `deprels` of one example have the same length.
- `heads[i]` is 0 for the root, otherwise the 1-based index of word i's head in `tokens`.
- No text, token or tag is the empty string.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datasets import Dataset, DatasetInfo, Features, List, Value
from datasets.table import InMemoryTable

SEQUENCE_CLASSIFICATION = "sequence-classification"
PAIR_CLASSIFICATION = "pair-classification"
TOKEN_CLASSIFICATION = "token-classification"
DEPENDENCY_PARSING = "dependency-parsing"
TEXT = "text"

_STR = Value("string")

FEATURES: dict[str, Features] = {
    SEQUENCE_CLASSIFICATION: Features({"id": _STR, "text": _STR, "label": _STR}),
    PAIR_CLASSIFICATION: Features({"id": _STR, "premise": _STR, "hypothesis": _STR, "label": _STR}),
    TOKEN_CLASSIFICATION: Features({"id": _STR, "tokens": List(_STR), "tags": List(_STR)}),
    DEPENDENCY_PARSING: Features(
        {
            "id": _STR,
            "tokens": List(_STR),
            "upos": List(_STR),
            "heads": List(Value("int32")),
            "deprels": List(_STR),
        }
    ),
    TEXT: Features({"text": _STR}),
}

TASK_TYPES: tuple[str, ...] = tuple(FEATURES)

# Which column holds what the task predicts (for label checks and label distributions).
LABEL_COLUMN: dict[str, str | None] = {
    SEQUENCE_CLASSIFICATION: "label",
    PAIR_CLASSIFICATION: "label",
    TOKEN_CLASSIFICATION: "tags",
    DEPENDENCY_PARSING: "deprels",
    TEXT: None,
}


def columns_of(task_type: str) -> list[str]:
    """Column names of a task type, in schema order."""
    return list(FEATURES[task_type])


def to_dataset(columns: Mapping[str, Sequence[Any]], task_type: str) -> Dataset:
    """Build the Dataset of `task_type` from column lists (exactly the schema's columns)."""
    features = FEATURES[task_type]
    if set(columns) != set(features):
        raise ValueError(f"{task_type}: columns {sorted(columns)} != schema {sorted(features)}")
    # Building the Arrow table directly skips `Dataset.from_dict`'s per-value Python encoding
    # (4-5x faster on UD EWT train); plain strings, ints and lists need no encoding.
    table = InMemoryTable.from_pydict(
        {name: list(columns[name]) for name in features}, schema=features.arrow_schema
    )
    return Dataset(table, info=DatasetInfo(features=features))


def empty_columns(task_type: str) -> dict[str, list[Any]]:
    """A dict of empty lists, one per column of `task_type`, for readers to append to."""
    return {name: [] for name in FEATURES[task_type]}


def column(dataset: Dataset, name: str) -> list[Any]:
    """All values of one column as a list (one Arrow conversion; iterating `dataset[name]` formats
    row by row and is ~30x slower)."""
    return dataset.select_columns([name])[:][name]


def task_type_of(dataset: Dataset) -> str:
    """The task type whose schema the dataset's columns match exactly."""
    names = set(dataset.column_names)
    for task_type, features in FEATURES.items():
        if names == set(features):
            return task_type
    raise ValueError(f"columns {sorted(names)} match no task schema")
