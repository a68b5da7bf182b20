"""Where the recipe's artifacts live and how they are produced exactly once.

Layout: `<output_dir>/artifacts/<kind>/<key>/`, where `key` is the content hash of everything
the artifact is computed from (config slice, data file hashes, base-model fingerprint, upstream
artifact keys; see `plan.py`). Each folder is written through `atomic_dir`, so it is either
complete (it holds `.complete` and `artifact.json`) or absent: a crashed run leaves nothing that
could be mistaken for a result, and a re-run finds every finished artifact by its key.

Training work folders (checkpoints, so an interrupted training resumes) live apart, under
`<output_dir>/work/<kind>/<key>/`, and are removed once the artifact is published (`work=True`),
not before: until the rename, the work folder holds the only copy of a finished training.

Builds run one at a time per process (`exclusive`): torch's random number generator is global
to a process, so two trainings in threads of one process would interleave their random draws
(dropout, masking, a model load that reseeds) and the results would depend on timing. Steps
run in parallel in separate processes (Dask workers), where each has its own generator.

Under a launcher (several processes training one step together, `sparsexlt train` launched by
`execution.launcher`) a training artifact is made with `produce_together`: every rank trains,
rank 0 alone publishes, and every rank returns rank 0's artifact.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sparsexlt.util.atomic import atomic_dir, atomic_write_json, is_complete
from sparsexlt.util.hashing import sha256_tree, short
from sparsexlt.util.progress import log

MANIFEST = "artifact.json"
BUILD_LOG = "builds.jsonl"
KINDS = (
    "base-model",
    "language-sft",
    "translator",
    "mt-adapt",
    "translation",
    "task-sft",
    "evaluation",
)


@dataclass(frozen=True)
class ArtifactRef:
    """A finished artifact: what downstream steps and the results store need to find it.

    JSON-friendly on purpose (plain fields only): Prefect persists task results as JSON.
    """

    kind: str
    key: str
    path: str
    content_hash: str | None = None
    language: str | None = None
    method: str | None = None
    info: dict[str, Any] = field(default_factory=dict)


def artifact_dir(output_dir: str | Path, kind: str, key: str) -> Path:
    if kind not in KINDS:
        raise ValueError(f"unknown artifact kind {kind!r}; known: {', '.join(KINDS)}")
    return Path(output_dir) / "artifacts" / kind / key


def work_dir(output_dir: str | Path, kind: str, key: str) -> Path:
    return Path(output_dir) / "work" / kind / key


def read_ref(path: str | Path) -> ArtifactRef:
    """The ArtifactRef recorded in a finished artifact folder."""
    data = json.loads((Path(path) / MANIFEST).read_text())
    return ArtifactRef(
        kind=data["kind"],
        key=data["key"],
        path=str(Path(path)),
        content_hash=data.get("content_hash"),
        language=data.get("language"),
        method=data.get("method"),
        info=data.get("info", {}),
    )


def find(output_dir: str | Path, kind: str, key: str) -> ArtifactRef | None:
    """The finished artifact of (kind, key), or None."""
    final = artifact_dir(output_dir, kind, key)
    if is_complete(final) and (final / MANIFEST).is_file():
        return read_ref(final)
    return None


_ONE_AT_A_TIME = threading.RLock()


@contextmanager
def exclusive() -> Iterator[None]:
    """Hold the process's compute slot (see the module docstring); re-entrant."""
    with _ONE_AT_A_TIME:
        yield


def produce(
    output_dir: str | Path,
    kind: str,
    key: str,
    build: Callable[[Path], dict[str, Any] | None],
    *,
    language: str | None = None,
    method: str | None = None,
    work: bool = False,
) -> ArtifactRef:
    """Return the artifact (kind, key), building it with `build(tmp_folder)` when absent.

    `build` writes its files into the folder it is given and may return a small JSON dict
    (`info`) kept in the manifest. Every build is logged to `<output_dir>/artifacts/builds.jsonl`
    (one line per computed artifact), so what a run really computed can be checked afterwards.
    `work`: the build trains in `work_dir(kind, key)`, removed here once the artifact is
    published (never inside `build`: a crash before the rename would lose a finished training).
    """
    existing = find(output_dir, kind, key)
    if existing is None:
        with exclusive():
            existing = find(output_dir, kind, key) or _build(
                output_dir, kind, key, build, language, method
            )
    if work:
        clean_work(output_dir, kind, key)
    return existing


def produce_together(
    output_dir: str | Path,
    kind: str,
    key: str,
    build: Callable[[Path], dict[str, Any] | None],
    *,
    language: str | None = None,
    method: str | None = None,
    work: bool = False,
) -> ArtifactRef:
    """`produce` for a build that every rank of a process group runs together (a data-parallel
    training): rank 0 decides whether it is needed, every rank runs `build` (for its
    collectives), rank 0 alone publishes (and then removes the work folder, with `work`).
    `build` must write files on rank 0 only (the others get a throwaway folder). In one
    process this is `produce`."""
    from sparsexlt.training import distributed as dd

    if not dd.is_distributed():
        return produce(output_dir, kind, key, build, language=language, method=method, work=work)
    if not dd.main_process_value(find(output_dir, kind, key) is None):
        return _agreed(output_dir, kind, key)
    if dd.is_main_process():
        with exclusive():
            _build(output_dir, kind, key, build, language, method)
        if work:
            clean_work(output_dir, kind, key)
    else:
        with tempfile.TemporaryDirectory(prefix=f"{kind}-rank{dd.rank()}-") as tmp:
            build(Path(tmp))
    dd.barrier()  # rank 0 has published
    return _agreed(output_dir, kind, key)


def _agreed(output_dir: str | Path, kind: str, key: str) -> ArtifactRef:
    ref = find(output_dir, kind, key)
    if ref is None:
        raise FileNotFoundError(
            f"{kind} {short(key)}: rank 0 published it, but this process does not see it under "
            f"{artifact_dir(output_dir, kind, key)}; the output folder must be one all "
            "processes share"
        )
    return ref


def _build(output_dir, kind, key, build, language, method) -> ArtifactRef:
    start = time.perf_counter()
    final = artifact_dir(output_dir, kind, key)
    try:
        with atomic_dir(final, overwrite=True) as tmp:
            info = build(tmp) or {}
            manifest = {
                "kind": kind,
                "key": key,
                "language": language,
                "method": method,
                "info": info,
                "content_hash": sha256_tree(tmp),
            }
            atomic_write_json(tmp / MANIFEST, manifest)
    except OSError:
        # Another process published the same key between our check and our rename: equal keys
        # mean equal results, so theirs is as good as ours.
        winner = find(output_dir, kind, key)
        if winner is None:
            raise
        return winner
    seconds = round(time.perf_counter() - start, 3)
    _append_build_log(output_dir, {"kind": kind, "key": key, "seconds": seconds})
    log(f"{kind} {short(key)} built in {seconds:.1f} s")
    return read_ref(final)


def builds(output_dir: str | Path) -> list[dict[str, Any]]:
    """Every artifact build logged under `output_dir`, oldest first."""
    path = Path(output_dir) / "artifacts" / BUILD_LOG
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _append_build_log(output_dir: str | Path, entry: dict[str, Any]) -> None:
    # One short line per write with O_APPEND: safe with several worker processes.
    path = Path(output_dir) / "artifacts" / BUILD_LOG
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({**entry, "pid": os.getpid(), "at": time.time()}) + "\n")


def clean_work(output_dir: str | Path, kind: str, key: str) -> None:
    """Remove a training work folder once its artifact is published."""
    shutil.rmtree(work_dir(output_dir, kind, key), ignore_errors=True)
