"""Several processes writing one results file: nothing lost, nothing duplicated, locks waited out.

Workers are module-level functions so that `multiprocessing` spawn can import them; the module
does not import pytest, so the eight spawned workers start faster.
"""

from __future__ import annotations

import multiprocessing
import threading
import time

import duckdb

from sparsexlt.evaluation.store import ResultRow, ResultsStore, ResultsStoreLockedError

N_PROCESSES = 8
BATCHES = 2
ROWS_PER_BATCH = 5
SHARED = dict(task="t", method="m", scenario="zs", sources="eng", target="shared", metric="acc")


def _writer(path: str, run_id: str, worker: int) -> None:
    store = ResultsStore(path, lock_timeout=60)
    for batch in range(BATCHES):
        rows = [
            ResultRow(
                task="t", method="m", scenario="zs", sources="eng", target=f"w{worker}",
                metric="acc", value=worker + batch / 10, seed=batch * ROWS_PER_BATCH + i,
            )
            for i in range(ROWS_PER_BATCH)
        ]  # fmt: skip
        store.record_results(rows, run_id=run_id)
    # Every worker also writes one key all of them share: it must end up as ONE row.
    store.record_results([ResultRow(**SHARED, value=float(worker))], run_id=run_id)


def _hold_write_lock(path: str, ready, seconds: float) -> None:
    con = duckdb.connect(path, config={"storage_compatibility_version": "v1.5.0"})
    con.execute("SELECT count(*) FROM results").fetchall()
    ready.set()
    time.sleep(seconds)
    con.close()


def test_eight_concurrent_writers_lose_nothing(tmp_path):
    path = str(tmp_path / "results.duckdb")
    run_id = ResultsStore(path).start_run("h", "{}", "concurrency")
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(path, run_id, w)) for w in range(N_PROCESSES)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
    assert [p.exitcode for p in workers] == [0] * N_PROCESSES
    store = ResultsStore(path)
    per_worker = store.query(
        "SELECT target_lang, count(*) FROM results WHERE target_lang <> 'shared' "
        "GROUP BY 1 ORDER BY 1"
    ).rows
    expected = BATCHES * ROWS_PER_BATCH
    assert per_worker == [(f"w{w}", expected) for w in range(N_PROCESSES)]
    shared = store.query("SELECT value FROM results WHERE target_lang = 'shared'").rows
    assert len(shared) == 1 and shared[0][0] in {float(w) for w in range(N_PROCESSES)}


def test_writer_waits_for_a_held_lock_then_times_out_clearly_or_succeeds(tmp_path):
    path = tmp_path / "results.duckdb"
    store = ResultsStore(path, lock_timeout=30)
    run_id = store.start_run("h", "{}")
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_write_lock, args=(str(path), ready, 1.5))
    holder.start()
    try:
        assert ready.wait(60)
        started = time.monotonic()
        impatient = ResultsStore(path, lock_timeout=0.3)
        try:
            impatient.record_results([ResultRow(**SHARED, value=1.0)], run_id=run_id)
        except ResultsStoreLockedError as error:
            message = str(error)
        else:
            raise AssertionError("the impatient writer should have given up")
        assert "results.duckdb: still locked by another process after 0.3 s" in message
        assert time.monotonic() - started < 1.2
        # The patient writer retries with backoff until the holder lets go.
        store.record_results([ResultRow(**SHARED, value=2.0)], run_id=run_id)
        waited = time.monotonic() - started
    finally:
        holder.join(timeout=30)
    assert holder.exitcode == 0
    assert 1.0 < waited < 10
    assert store.query("SELECT value FROM results").rows == [(2.0,)]


def test_threads_of_one_process_share_the_file_safely(tmp_path):
    """In one process DuckDB shares the database between connections: concurrent upserts of one
    key would clash at commit, and a reader would meet an open writer. Neither may surface."""
    path = tmp_path / "results.duckdb"
    run_id = ResultsStore(path).start_run("h", "{}")
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        store = ResultsStore(path, lock_timeout=30)
        try:
            for i in range(3):
                store.record_results(
                    [
                        ResultRow(**{**SHARED, "target": f"t{worker}"}, value=i, seed=i),
                        ResultRow(**SHARED, value=float(worker)),
                    ],
                    run_id=run_id,
                )
                store.query("SELECT count(*) FROM results")
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert ResultsStore(path).query("SELECT count(*) FROM results").rows == [(4 * 3 + 1,)]
