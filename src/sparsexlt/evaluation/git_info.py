"""The git commit of the sparsexlt source in use, recorded with every run for provenance."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """HEAD of the checkout holding this package, with '-dirty' when it has local changes;
    None when the package is not in a git checkout or git is missing."""
    here = Path(__file__).resolve().parent
    try:
        head = _git(here, "rev-parse", "HEAD")
        if head is None:
            return None
        dirty = _git(here, "status", "--porcelain", "--untracked-files=no")
        return f"{head}-dirty" if dirty else head
    except OSError:
        return None


def _git(where: Path, *args: str) -> str | None:
    done = subprocess.run(
        ["git", "-C", str(where), *args], capture_output=True, text=True, timeout=10, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else None
