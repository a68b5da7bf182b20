"""`sparsexlt config check|show`: exit codes (2: the config has problems) and output."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from sparsexlt.cli import app
from sparsexlt.config import load_config

runner = CliRunner()

CONFIG = """\
name: cli
base_model: {name_or_path: "tiny:"}
task: {name: t, type: sequence-classification, labels: [a, b], metric: accuracy}
languages:
  - {code: src, role: source, task_data: {train: {path: d.tsv, format: smsa-tsv}}}
  - {code: tgt, role: target, task_data: {test: {path: d.tsv, format: smsa-tsv}}}
scenarios: [zs]
"""


def make(tmp_path: Path, text: str = CONFIG) -> Path:
    (tmp_path / "d.tsv").write_text("x\ta\n")
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_check_ok(tmp_path: Path):
    result = runner.invoke(app, ["config", "check", str(make(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "ok"


def test_check_lists_problems_and_exits_2(tmp_path: Path):
    path = make(tmp_path, CONFIG.replace("metric: accuracy", "metric: acuracy"))
    result = runner.invoke(app, ["config", "check", str(path), "--set", "seed=abc"])
    assert result.exit_code == 2
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("seed: Input should be a valid integer")
    assert lines[1].startswith("task.metric: 'acuracy' is not one of")
    assert "did you mean 'accuracy'?" in lines[1] and lines[1].endswith("(line 3)")
    assert len(lines) == 2


def test_check_applies_overrides(tmp_path: Path):
    path = make(tmp_path)
    bad = runner.invoke(app, ["config", "check", str(path), "--set", "scenarios=[zs, ttrain-all]"])
    assert bad.exit_code == 2 and "translation.enabled" in bad.stdout
    fixed = runner.invoke(
        app,
        [
            "config",
            "check",
            str(path),
            "--set",
            "scenarios=[zs, ttrain-all]",
            "--set",
            "translation.enabled=true",
            "--set",
            "translation.model=tiny:",
        ],
    )
    assert fixed.exit_code == 0, fixed.stdout


def test_show_prints_resolved_yaml_and_hash(tmp_path: Path):
    path = make(tmp_path)
    result = runner.invoke(app, ["config", "show", str(path)])
    assert result.exit_code == 0, result.output
    shown = yaml.safe_load(result.stdout)
    assert shown["data_dir"] == str(tmp_path)
    assert shown["languages"][0]["task_data"]["train"]["path"] == str(tmp_path / "d.tsv")
    assert shown["evaluation"] == {"split": "test", "batch_size": 64}
    digest = runner.invoke(app, ["config", "show", str(path), "--hash"]).stdout.strip()
    assert len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    # what `show` prints is itself a valid config describing the same experiment
    again = tmp_path / "shown.yaml"
    again.write_text(result.stdout)
    assert load_config(again).config_hash() == digest
    missing = runner.invoke(app, ["config", "check", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and missing.stdout.strip() == "config: file not found"
