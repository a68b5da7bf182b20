"""`sparsexlt run` / `train` argument handling that needs no training: path options taken
verbatim, selectors checked before Prefect starts, `-q` after the command."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sparsexlt.cli import app

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "configs" / "demo.yaml"
runner = CliRunner()


@pytest.mark.parametrize("name", ["runs #1", "2024-01-01"])
def test_output_dir_is_a_path_not_yaml(tmp_path: Path, name: str, monkeypatch):
    monkeypatch.setenv("SPARSEXLT_QUIET", "0")  # -q sets it; monkeypatch restores it
    out = tmp_path / name
    result = runner.invoke(app, ["run", str(DEMO), "--output-dir", str(out), "--dry-run", "-q"])
    assert result.exit_code == 0, result.output
    assert f"output {out}\n" in result.stdout
    from sparsexlt.flows.pipeline import load_pipeline_config  # the flow's own parameter too

    assert load_pipeline_config(DEMO, output_dir=str(out)).output_dir == out


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--method", "nope"], "error: no method 'nope'; have spiel-ag, lt-sft"),
        (["--scenario", "zz"], "error: scenario(s) zz not in the config's scenarios"),
        (
            ["--target", "ind"],
            "error: --target: unknown target(s) ind; the config's targets are jav, mad",
        ),
    ],
)
def test_unknown_selectors_stop_before_prefect_starts(tmp_path: Path, option, message):
    started = time.monotonic()
    result = runner.invoke(app, ["run", str(DEMO), "--output-dir", str(tmp_path), *option])
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert not (tmp_path / ".prefect").exists() and not (tmp_path / "artifacts").exists()
    assert time.monotonic() - started < 15  # no flow run (Prefect's start alone takes ~20 s)


def test_train_takes_output_dir_verbatim_and_names_an_unknown_method(tmp_path: Path):
    out = tmp_path / "2024-01-01"
    args = ["train", str(DEMO), "--method", "nope", "--language", "jav", "--output-dir", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {DEMO}: no method 'nope'; have spiel-ag, lt-sft"
