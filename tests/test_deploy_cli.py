"""`sparsexlt deploy …` without a Prefect server: what a deployment stores, its name, the
listing, and user errors as one line (exit 2), an unreachable server as one line (exit 1).

The CLI runs in child processes with their own PREFECT_HOME (Prefect reads its settings once
per process); the real server round trip is tests/pipeline/test_deploy_server.py.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from sparsexlt.config import load_config
from sparsexlt.deployments.language import onboarding_parameters

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "configs" / "demo.yaml"
SPARSEXLT = Path(sys.executable).parent / "sparsexlt"


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"  # nothing listens there once the socket is closed


def deploy(tmp_path: Path, *args: str, api: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_API_URL": api or ""}
    return subprocess.run(
        [str(SPARSEXLT), "deploy", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def one_error_line(done: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_stored_paths_are_absolute_wherever_the_worker_runs(tmp_path, monkeypatch):
    here = tmp_path / "here"
    (here / "data").mkdir(parents=True)
    config = here / "c.yaml"
    config.write_text(DEMO.read_text() + "results_db: db/all.duckdb\n")
    monkeypatch.chdir(here)
    made = load_config(config, ["data_dir=data", "output_dir=out"])
    params = onboarding_parameters(config, "jav", ["data_dir=data", "output_dir=out"])
    worker = tmp_path / "worker-tmp"
    worker.mkdir()
    monkeypatch.chdir(worker)
    loaded = load_config(params["config_path"], params["overrides"])
    assert loaded.output_dir == made.output_dir == here / "out"
    assert loaded.data_dir == made.data_dir == here / "data"
    assert loaded.results_db == made.results_db == here / "db" / "all.duckdb"
    assert loaded.config_hash() == made.config_hash()


def test_configs_sharing_a_language_get_a_deployment_each(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    from sparsexlt.deployments.language import onboarding_deployment

    first = onboarding_deployment(DEMO, "jav", cron="0 3 * * 0")
    second = onboarding_deployment(DEMO, "jav", overrides=["name=demo-other"])
    assert first.name == "onboard-demo-jav" and second.name == "onboard-demo-other-jav"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-c", "missing.yaml"], "config: file not found"),
        (["-c", str(DEMO), "-l", "xx"], "'xx' is not a target language"),
        (["-c", str(DEMO), "--cron", "bogus"], "--cron 'bogus' is not a cron schedule"),
    ],
)
def test_serve_user_errors_are_one_line(tmp_path, args, expected):
    done = deploy(tmp_path, "serve", *args)
    assert done.returncode == 2 and expected in one_error_line(done)


def test_add_language_and_list_report_user_and_server_errors(tmp_path):
    api = closed_port_url()
    bad_cron = deploy(tmp_path, "add-language", "jav", "-c", str(DEMO), "--cron", "x", api=api)
    assert bad_cron.returncode == 2 and "--cron 'x'" in one_error_line(bad_cron)
    source = deploy(tmp_path, "add-language", "ind", "-c", str(DEMO), api=api)
    assert source.returncode == 2 and "'ind' is not a target" in one_error_line(source)
    for args in (["add-language", "jav", "-c", str(DEMO)], ["list"]):
        down = deploy(tmp_path, *args, api=api)
        assert down.returncode == 1
        assert one_error_line(down) == f"error: cannot reach the Prefect API at {api}"


def test_list_marks_inactive_schedules(monkeypatch):
    import prefect

    from sparsexlt.deployments.listing import list_deployments

    def schedule(cron: str, active: bool) -> SimpleNamespace:
        return SimpleNamespace(schedule=SimpleNamespace(cron=cron), active=active)

    deployment = SimpleNamespace(
        flow_id=1,
        name="onboard-demo-mad",
        work_pool_name="pool",
        schedules=[schedule("0 3 * * 0", False), schedule("0 4 * * *", True)],
        parameters={"targets": ["mad"]},
        paused=False,
    )

    class Client:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read_flows(self):
            return [SimpleNamespace(id=1, name="xlt-pipeline")]

        def read_deployments(self):
            return [deployment]

    monkeypatch.setattr(prefect, "get_client", lambda **_: Client())
    [info] = list_deployments()
    assert info.name == "xlt-pipeline/onboard-demo-mad"
    assert info.schedules == ["0 3 * * 0 (off)", "0 4 * * *"]
