"""Jobs with equal keys compute the same artifact: submit each key once.

Two scenarios may train on the same mix (with one translatable target, ttrain-single and
ttrain-all do); running both at once would build one artifact twice, concurrently.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

Job = TypeVar("Job")


def unique(jobs: Iterable[Job]) -> list[Job]:
    """The first job of each key, in order."""
    seen: dict[str, Job] = {}
    for job in jobs:
        seen.setdefault(job.key, job)  # type: ignore[attr-defined]
    return list(seen.values())
