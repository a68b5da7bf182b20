"""A language-onboarding deployment on a real Prefect server, run by a process worker.

Starts `prefect server start` on a free local port with its own PREFECT_HOME, creates a process
work pool and the deployment (`sparsexlt deploy add-language`), triggers it, runs it with
`prefect worker start --run-once`, and finds its rows in DuckDB. The server is stopped by its
PID with SIGINT (FIELD-NOTES: Prefect processes may ignore SIGTERM for a while).
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


def run(args: list[str], env: dict, timeout: float = 120) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


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
    out = tmp_path / "out"
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
        settings = [arg for o in [f"output_dir={out}", *TINY] for arg in ("--set", o)]
        added = run(
            [
                str(BIN / "sparsexlt"),
                "deploy",
                "add-language",
                "mad",
                "--config",
                str(DEMO),
                "--pool",
                POOL,
                "--cron",
                "0 3 * * *",
                *settings,
            ],
            env,
        )
        assert "xlt-pipeline/onboard-mad" in added
        listed = run([str(BIN / "sparsexlt"), "deploy", "list"], env)
        assert "onboard-mad" in listed and "0 3 * * *" in listed
        run([str(BIN / "prefect"), "deployment", "run", "xlt-pipeline/onboard-mad"], env)
        run([str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--run-once"], env, 300)
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
