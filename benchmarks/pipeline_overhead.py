"""Wall time of the pipeline cold vs warm (everything cached), and Prefect's cost per task.

    python benchmarks/pipeline_overhead.py [--config configs/demo.yaml] [--set k=v ...]
                                           [--tasks 60] [--json FILE]

1. A temporary Prefect home (its own SQLite database and results folder); a trivial flow starts
   the temporary API server first, so neither timed run pays for the server's start-up
   (reported separately as `server_start_s`).
2. cold: `xlt_pipeline` on the config into an empty output folder (every artifact computed).
3. warm: the same again: every step task is a cache hit, nothing is recomputed.
4. Per-task overhead: a flow of `--tasks` submitted no-op tasks with the pipeline's task options
   (cache key function, JSON results, retries), minus the same calls as plain functions;
   measured with fresh keys (`overhead_per_task_s`) and again as cache hits
   (`cached_overhead_per_task_s`).
The warm run should take at most 10% of the cold one (`warm_over_cold` ≤ 0.10).
Figures depend on the machine's load: note `load_avg` (1-minute, at the end) with them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "demo.yaml"))
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--tasks", type=int, default=60, help="no-op tasks for the overhead")
    parser.add_argument("--workdir", help="keep outputs here (default: a temporary folder)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    work = Path(args.workdir or tempfile.mkdtemp(prefix="sparsexlt-bench-"))
    work.mkdir(parents=True, exist_ok=True)  # Prefect's home goes inside: it must exist
    os.environ["PREFECT_HOME"] = str(work / "prefect")
    os.environ.setdefault("SPARSEXLT_QUIET", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")  # shutdown noise
    from sparsexlt.deployments.prefect_env import prefect_defaults

    prefect_defaults(work)
    figures = measure(args.config, args.overrides, work, args.tasks)
    print_table(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")


def measure(config: str, overrides: list[str], work: Path, n_tasks: int) -> dict:
    from prefect import flow

    from sparsexlt.flows import xlt_pipeline

    @flow
    def warm_up() -> int:
        return 1

    start = time.perf_counter()
    warm_up()
    server_start = time.perf_counter() - start

    out = str(work / "out")
    since = datetime.now(timezone.utc)
    start = time.perf_counter()
    first = xlt_pipeline(config, overrides=overrides, output_dir=out, chart=False)
    cold = time.perf_counter() - start
    until = datetime.now(timezone.utc)
    start = time.perf_counter()
    xlt_pipeline(config, overrides=overrides, output_dir=out, chart=False)
    warm = time.perf_counter() - start

    fresh, cached = task_overhead(n_tasks)
    return {
        "cold_s": round(cold, 2),
        "warm_s": round(warm, 2),
        "warm_over_cold": round(warm / cold, 4),
        "tasks": count_tasks(since, until),
        "overhead_per_task_s": round(fresh, 4),
        "cached_overhead_per_task_s": round(cached, 4),
        "server_start_s": round(server_start, 2),
        "result_rows": first["rows"],
        "cpu_count": os.cpu_count(),
        "load_avg": round(os.getloadavg()[0], 2),
        "python": sys.version.split()[0],
    }


SUBFLOW_WRAPPERS = re.compile(r"^(language-sfts|translate-train-data|task-sfts|evaluate)-\d+$")


def count_tasks(since: datetime, until: datetime) -> int:
    """Task runs started in [since, until] (one pipeline run with its subflows; the task runs
    that stand for subflow calls are not counted)."""
    from prefect import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterStartTime

    window = TaskRunFilter(start_time=TaskRunFilterStartTime(after_=since, before_=until))
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(task_run_filter=window)
    return sum(1 for r in runs if not SUBFLOW_WRAPPERS.match(r.name))


def task_overhead(n: int) -> tuple[float, float]:
    """(seconds per fresh task, seconds per cached task) beyond the plain function call."""
    import tempfile
    import uuid

    from prefect import flow, task

    from sparsexlt.tasks.options import step_options

    class Job:
        def __init__(self, key: str):
            self.key = key

    def work(job: Job, output_dir: str) -> dict:
        return {"key": job.key}

    # the no-op "artifact" always counts as finished (the cache token is kept in `out`)
    step = task(work, **step_options("noop", finished=lambda job, output_dir: True))
    jobs = [Job(uuid.uuid4().hex) for _ in range(n)]
    out = tempfile.mkdtemp(prefix="sparsexlt-overhead-")

    @flow
    def many(jobs: list) -> int:
        futures = [step.submit(job, out) for job in jobs]
        return len([f.result() for f in futures])

    start = time.perf_counter()
    for job in jobs:
        work(job, out)
    plain = time.perf_counter() - start
    timings = []
    for _ in range(2):  # fresh keys, then the same keys again: cache hits
        start = time.perf_counter()
        many(jobs)
        timings.append(time.perf_counter() - start)
    return (timings[0] - plain) / n, (timings[1] - plain) / n


def print_table(figures: dict) -> None:
    width = max(map(len, figures))
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")
    verdict = "ok" if figures["warm_over_cold"] <= 0.10 else "ABOVE the 10% target"
    print(f"warm run = {100 * figures['warm_over_cold']:.1f}% of the cold one ({verdict})")


if __name__ == "__main__":
    main()
