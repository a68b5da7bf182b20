"""An invalid config reports every problem at once, each with its field path and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparsexlt.config import load_config
from sparsexlt.errors import ConfigError, DeterministicError

VALID = """\
name: mini
data_dir: data
base_model: {name_or_path: "tiny:"}
task:
  name: senti
  type: sequence-classification
  labels: [negative, positive]
  metric: macro_f1
languages:
  - code: src
    role: source
    task_data:
      train: {path: src.tsv, format: smsa-tsv}
  - code: tgt
    role: target
    task_data:
      train: {path: tgt.csv, format: nusax-csv}
      test: {path: tgt.csv, format: nusax-csv}
    few_shot: {k: 4}
scenarios: [zs, fs-single]
"""


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "src.tsv").write_text("good\tpositive\n")
    (tmp_path / "data" / "tgt.csv").write_text("id,text,label\n1,bad,negative\n")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "config.yaml"
    path.write_text(text)
    return path


def problems_of(path: Path, overrides=None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    assert isinstance(info.value, DeterministicError)
    assert info.value.source == str(path)
    return info.value.problems


def test_valid_minimal_config(config_dir: Path):
    config = load_config(write(config_dir, VALID))
    assert config.data_dir == config_dir / "data"
    assert config.language("tgt").task_data["test"].path == config_dir / "data" / "tgt.csv"
    assert config.methods[0].name == "lt-sft" and config.translation.enabled is False


def test_every_problem_is_reported_with_its_path(config_dir: Path):
    broken = (
        VALID.replace("  name: senti\n", "  name: senti\n  colour: blue\n")  # unknown key
        .replace("format: nusax-csv}\n    few", "format: conllx}\n    few")  # bad enum
        .replace("path: src.tsv", "path: missing.tsv")  # missing file
        .replace("few_shot: {k: 4}", "few_shot: {k: 0}")  # bad k
        .replace("role: target", "role: source")  # no target left
    )
    problems = problems_of(write(config_dir, broken))
    text = "\n".join(problems)
    assert "task.colour: unknown key 'colour'" in text
    assert "languages.1.task_data.test.format: 'conllx' is not one of" in text
    assert "did you mean 'conllu'?" in text
    assert (
        f"languages.0.task_data.train.path: file not found: {config_dir / 'data/missing.tsv'}"
        in text
    )
    assert "languages.1.few_shot.k: expected a count ≥ 1 or `all`, got 0" in text
    assert "languages: need at least one target language" in text
    assert len(problems) == 5, problems
    # field path first, then the line in the file
    assert all(p.split(":")[0].replace(".", "").replace("_", "").isalnum() for p in problems)
    assert "(line 6)" in next(p for p in problems if "colour" in p)


def test_cross_field_problems_of_a_well_typed_config(config_dir: Path):
    text = VALID.replace("scenarios: [zs, fs-single]", "scenarios: [zs, ttrain-all, zs]")
    text = text.replace("    few_shot: {k: 4}\n", "")
    text = text.replace("      test: {path: tgt.csv, format: nusax-csv}\n", "")
    problems = problems_of(write(config_dir, text))
    assert any(
        p.startswith("languages.1.task_data: a target needs task_data.test") for p in problems
    )
    assert any(p.startswith("scenarios.2: repeated scenario 'zs'") for p in problems)
    assert any(p.startswith("translation.enabled: scenarios ttrain-all need") for p in problems)


def test_task_rules(config_dir: Path):
    text = VALID.replace("  labels: [negative, positive]\n", "").replace(
        "metric: macro_f1", "metric: las"
    )
    problems = problems_of(write(config_dir, text))
    assert any(p.startswith("task.labels: required for task type") for p in problems)
    assert any(p.startswith("task.metric: 'las' does not apply") for p in problems)
    ner = VALID.replace("type: sequence-classification", "type: token-classification")
    ner = ner.replace("[negative, positive]", "[O, B-PER]").replace("macro_f1", "seqeval_f1")
    problems = problems_of(write(config_dir, ner))
    assert any("task.labels: entity types without both B- and I- tags: PER" in p for p in problems)
    # a sentence-level reader cannot feed a tagging task
    assert any(
        p.startswith("languages.0.task_data.train.format: 'smsa-tsv' does not give")
        for p in problems
    )


def test_method_rules(config_dir: Path):
    text = VALID + (
        "methods:\n"
        "  - {name: lora, task: {k: 10, steps: 5}}\n"
        "  - {name: spiel-ag, task: {phase1_steps: 5, phase2_steps: 5}}\n"
        "  - {name: lt-sft, task: {steps: 5, epochs: 1, k: 1.5}}\n"
        "  - {name: lt-sft, task: {lr: yes}}\n"
    )
    problems = problems_of(write(config_dir, text))
    text = "\n".join(problems)
    assert "methods.0.task.k: lora is not a sparse method" in text
    assert "methods.1.task: phase1_steps/phase2_steps/phase_epochs are for lt-sft" in text
    assert "methods.2.task.k: a proportion must be in (0, 1], got 1.5" in text
    assert "methods.3.task.lr: expected a number, got true" in text
    assert "methods.3: repeated method 'lt-sft' (also methods.2)" in text


def test_yaml_syntax_error_names_the_line(config_dir: Path):
    text = VALID.replace("  - code: tgt\n", "  - code: tgt\n   bad: [\n")
    problems = problems_of(write(config_dir, text))
    assert len(problems) == 1 and problems[0].startswith("yaml: line ")
    line = int(problems[0].split("line ")[1].split(",")[0])
    assert 15 <= line <= 16


def test_repeated_key_and_non_mapping(config_dir: Path):
    problems = problems_of(write(config_dir, VALID + "name: again\n"))
    assert problems == ["name: repeated key (line 21; first at line 1)"]
    assert problems_of(write(config_dir, "- a\n")) == [
        "(root): expected a mapping of settings, got list"
    ]
    assert problems_of(config_dir / "nope.yaml") == ["config: file not found"]
    looped = problems_of(write(config_dir, VALID + "x-loop: &loop [*loop]\n"))
    assert looped == ["x-loop.0: an alias refers to itself (line 21)"]


def test_missing_data_dir_is_reported_once(config_dir: Path):
    problems = problems_of(write(config_dir, VALID), ["data_dir=/no/such/dir"])
    assert len(problems) == 1
    assert problems[0].startswith("data_dir: directory not found: /no/such/dir")
    assert problems[0].endswith("(from --set)")


def test_pkg_and_local_model_references(config_dir: Path):
    text = VALID.replace('"tiny:"', "pkg:no-such-package-xyz")
    problems = problems_of(write(config_dir, text))
    assert problems == [
        "base_model.name_or_path: package 'no-such-package-xyz' is not installed "
        "(pip install no-such-package-xyz) (line 3)"
    ]
    text = VALID.replace('"tiny:"', "./models/enc")
    assert "model folder not found" in problems_of(write(config_dir, text))[0]
    (config_dir / "models" / "enc").mkdir(parents=True)
    config = load_config(write(config_dir, text))
    assert config.base_model.name_or_path == str(config_dir / "models" / "enc")
    skipped = load_config(write(config_dir, VALID.replace('"tiny:"', "./gone")), check_files=False)
    assert skipped.base_model.name_or_path == str(config_dir / "gone")
