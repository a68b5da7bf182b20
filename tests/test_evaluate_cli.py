"""`sparsexlt evaluate`: a wrong --task-sft / --language-sft folder is one clear line, exit 2."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sparsexlt.cli import app

runner = CliRunner()


def evaluate(task_sft: Path, *extra: str):
    args = ["evaluate", "--base", "tiny:", "--task-sft", str(task_sft)]
    return runner.invoke(app, [*args, "--data", "x.tsv", "--format", "smsa-tsv", *extra])


def test_a_missing_folder_is_named(tmp_path: Path):
    result = evaluate(tmp_path / "nope")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: --task-sft {tmp_path / 'nope'}: no such folder"
    (tmp_path / "art").mkdir()
    result = evaluate(tmp_path / "art", "--language-sft", str(tmp_path / "f.txt"), "-q")
    assert result.exit_code == 2 and "--language-sft" in result.stderr


def test_a_corrupt_manifest_is_named(tmp_path: Path):
    (tmp_path / "component").mkdir()
    manifest = tmp_path / "artifact.json"
    for text, why in [("{bad", "not a readable artifact manifest"), ("[1]", "not an artifact")]:
        manifest.write_text(text)
        result = evaluate(tmp_path)
        assert result.exit_code == 2
        assert result.stderr.startswith(f"error: {manifest}: {why}")
        assert len(result.stderr.strip().splitlines()) == 1
