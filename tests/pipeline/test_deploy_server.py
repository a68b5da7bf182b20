"""A language-onboarding deployment on a real Prefect server, run by a process worker.

Starts `prefect server start` on a free local port with its own PREFECT_HOME, creates a process
work pool and the deployment (`sparsexlt deploy add-language`), triggers it, runs it with
`prefect worker start --run-once`, and finds its rows in DuckDB. The server is stopped by its
PID with SIGINT (FIELD-NOTES: Prefect processes may ignore SIGTERM for a while).
The deployment is made with a relative output folder in one directory and run by a worker in
another: the results land where the deployment was made. A second config onboarding the same
language gets its own deployment; an unknown work pool is one error line.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pipeline_support import DEMO

from sparsexlt.evaluation.store import ResultsStore

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
POOL = "sparsexlt-test-pool"
TINY = [
    "scenarios=[zs]",
    "methods=[{name: spiel-ag, language: {steps: 2}, task: {steps: 3}}]",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "prefect server exited"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"prefect server not healthy after {timeout} s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run(args: list[str], env: dict, timeout: float = 120, cwd: Path | None = None, code: int = 0):
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd)
    assert done.returncode == code, f"{args[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout if code == 0 else done.stderr


def test_an_onboarding_deployment_runs_on_a_process_worker(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    home = tmp_path / "prefect-home"
    home.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    base |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "SPARSEXLT_QUIET": "1",
    }
    env = {**base, "PREFECT_API_URL": api}
    made_here, worker_dir = tmp_path / "made-here", tmp_path / "worker"
    made_here.mkdir()
    worker_dir.mkdir()
    out = made_here / "out"
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=base,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    try:
        wait_healthy(f"{api}/health", server, timeout=120)
        run([str(BIN / "prefect"), "work-pool", "create", POOL, "--type", "process"], env)
        settings = [arg for o in ["output_dir=out", *TINY] for arg in ("--set", o)]
        add = [str(BIN / "sparsexlt"), "deploy", "add-language", "mad", "--config", str(DEMO)]
        added = run([*add, "--pool", POOL, "--cron", "0 3 * * *", *settings], env, cwd=made_here)
        assert "xlt-pipeline/onboard-demo-mad" in added
        run([*add, "--pool", POOL, "--set", "name=demo-b"], env, cwd=made_here)
        refused = run([*add, "--pool", "nopool"], env, cwd=made_here, code=2)
        assert refused.startswith("error: ") and len(refused.strip().splitlines()) == 1
        listed = run([str(BIN / "sparsexlt"), "deploy", "list"], env)
        assert "onboard-demo-mad" in listed and "0 3 * * *" in listed
        assert "onboard-demo-b-mad" in listed  # same language, another config: both kept
        run([str(BIN / "prefect"), "deployment", "run", "xlt-pipeline/onboard-demo-mad"], env)
        worker = [str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--run-once"]
        run(worker, env, 300, cwd=worker_dir)
    finally:
        stop(server)
        log.close()
    assert server.returncode is not None

    rows = (
        ResultsStore(out / "results.duckdb")
        .query("SELECT method, scenario, target_lang, metric FROM results ORDER BY metric")
        .rows
    )
    assert rows == [
        ("spiel-ag", "zs", "mad", "accuracy"),
        ("spiel-ag", "zs", "mad", "macro_f1"),
    ]
