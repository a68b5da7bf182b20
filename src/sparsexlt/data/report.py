"""What a read kept, skipped and dropped, so nothing disappears without a count.

`skipped` counts lines that by the format's own rules are not examples (blank lines, comments,
`-DOCSTART-`, CoNLL-U multiword-token ranges and empty nodes). `dropped` counts would-be
examples that were removed (empty cells, duplicates of evaluation texts). Both map a reason to a
count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class ReadReport:
    """Returned next to the Dataset by `read_with_report`."""

    path: str
    format: str
    task_type: str
    examples: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, n: int = 1) -> None:
        if n:
            self.skipped[reason] = self.skipped.get(reason, 0) + n

    def drop(self, reason: str, n: int = 1) -> None:
        if n:
            self.dropped[reason] = self.dropped.get(reason, 0) + n

    @property
    def total_dropped(self) -> int:
        return sum(self.dropped.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """One line for people, e.g. 'smsa.tsv: 10781 examples; dropped 219 (duplicate …)'."""
        parts = [f"{self.path}: {self.examples} examples"]
        for title, counts in (("dropped", self.dropped), ("skipped", self.skipped)):
            if counts:
                detail = ", ".join(f"{n} {reason}" for reason, n in counts.items())
                parts.append(f"{title} {detail}")
        return "; ".join(parts)
