"""Task runners: a thread pool by default, Dask for per-language work across processes.

The thread pool overlaps Prefect's bookkeeping with computation, but computes one step at a
time per process (torch's random generator is process-global: concurrent trainings in threads
would make results depend on timing). `--dask-workers N` starts a local Dask cluster of N
single-threaded worker processes, which do compute steps in parallel (FIELD-NOTES), and
`--dask-address tcp://host:8786` uses an existing cluster, e.g. one spanning several machines.
`prefect-ray`'s `RayTaskRunner` is the drop-in alternative for Ray clusters.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sparsexlt.tasks.options import THREADS_ENV


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def thread_runner() -> Any:
    """A few threads: Prefect's bookkeeping (API calls, cache look-ups, result files) of some
    steps overlaps the computation of another. Computation itself runs one step at a time per
    process (`recipe.artifacts.exclusive`: torch's random generator is process-global)."""
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=4)


def torch_threads_for_thread_pool() -> None:
    """One step computes at a time in a process: it may use every core (unless set)."""
    os.environ.setdefault(THREADS_ENV, str(cpu_count()))


@contextmanager
def dask_runner(workers: int = 0, address: str | None = None) -> Iterator[Any]:
    """A DaskTaskRunner on `address`, or on a local cluster of `workers` processes that lives as
    long as the context; None when neither is given (use the flow's thread pool)."""
    if address:
        yield _dask(address)
        return
    if not workers:
        yield None
        return
    os.environ.setdefault(THREADS_ENV, str(max(1, cpu_count() // workers)))
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    try:
        yield _dask(cluster.scheduler_address)
    finally:
        cluster.close()


def _dask(address: str) -> Any:
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(address=address)
