"""Overrides, path addressing and the hashes caches are keyed on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sparsexlt.config import PipelineConfig, load_config
from sparsexlt.errors import ConfigError

BASE = {
    "name": "mini",
    "data_dir": "data",
    "base_model": {"name_or_path": "tiny:"},
    "task": {
        "name": "senti",
        "type": "sequence-classification",
        "labels": ["negative", "positive"],
        "metric": "macro_f1",
    },
    "languages": [
        {
            "code": "src",
            "role": "source",
            "task_data": {"train": {"path": "a.tsv", "format": "smsa-tsv"}},
        },
        {
            "code": "tgt",
            "role": "target",
            "task_data": {
                "train": {"path": "b.csv", "format": "nusax-csv"},
                "test": {"path": "b.csv", "format": "nusax-csv"},
            },
            "few_shot": {"k": 4},
        },
    ],
    "methods": [{"name": "lt-sft", "task": {"steps": 100}}, {"name": "lora", "label": "lora-r8"}],
    "scenarios": ["zs", "fs-single"],
}


def write(folder: Path, data: dict, name: str = "c.yaml") -> Path:
    (folder / "data").mkdir(exist_ok=True)
    for f in ("a.tsv", "b.csv"):
        (folder / "data" / f).write_text("x\n")
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_string_overrides_are_parsed_as_yaml(tmp_path: Path):
    config = load_config(
        write(tmp_path, BASE),
        [
            "methods.0.task.steps=10",
            "methods.lora-r8.task.lr=1e-3",
            "languages.tgt.few_shot.k=all",
            "scenarios=[zs]",
            "seed=7",
            "translation.enabled=false",
        ],
    )
    assert config.methods[0].task.steps == 10
    assert config.method("lora-r8").task.lr == pytest.approx(1e-3)
    assert config.language("tgt").few_shot.k == "all"
    assert config.scenarios == ["zs"] and config.seed == 7


def test_dict_overrides_take_values_as_given(tmp_path: Path):
    config = load_config(write(tmp_path, BASE), {"languages.src.nllb": None, "seed": 3})
    assert config.language("src").nllb is None and config.seed == 3
    assert config.language("tgt").nllb == "auto"


def test_override_creates_missing_sections_and_reports_bad_paths(tmp_path: Path):
    path = write(tmp_path, BASE)
    config = load_config(
        path, ["languages.src.unlabelled.path=a.tsv", "languages.src.unlabelled.format=text"]
    )
    assert config.language("src").unlabelled.path == tmp_path / "data" / "a.tsv"
    with pytest.raises(ConfigError) as info:
        load_config(
            path,
            [
                "methods.5.task.steps=1",
                "languages.xyz.code=a",
                "name.x=1",
                "noequals",
                "evaluation.batch_size.x=1",
                "task.kind=x",
            ],
        )
    problems = info.value.problems
    assert "--set 'noequals': write key=value, e.g. methods.0.task.steps=10" in problems
    assert (
        "--set methods.5.task.steps: methods.5: index 5 out of range (the list has 2)" in problems
    )
    assert (
        "--set languages.xyz.code: languages.xyz: no item with code, label or name 'xyz'"
        in problems
    )
    assert "--set name.x: name is a value, not a section" in problems
    assert "evaluation.batch_size: Input should be a valid integer (from --set)" in problems
    assert (
        "task.kind: unknown key 'kind'; known keys: name, type, labels, metric, extra_metrics (from --set)"
        in problems
    )


def test_hash_ignores_key_order_and_location(tmp_path: Path):
    a = load_config(write(tmp_path, BASE, "a.yaml"))
    reordered = {k: BASE[k] for k in reversed(list(BASE))}
    reordered["task"] = dict(reversed(list(BASE["task"].items())))
    b = load_config(write(tmp_path, reordered, "b.yaml"), ["output_dir=elsewhere", "name=other"])
    assert a.config_hash() == b.config_hash()
    # the same experiment with the data somewhere else hashes the same
    other = tmp_path / "moved"
    other.mkdir()
    c = load_config(write(other, BASE))
    assert c.data_dir != a.data_dir and c.config_hash() == a.config_hash()
    d = load_config(write(tmp_path, BASE, "d.yaml"), ["seed=1"])
    assert d.config_hash() != a.config_hash()
    assert d.experiment_hash() == a.experiment_hash()  # one experiment, another seed
    e = load_config(write(tmp_path, BASE, "e.yaml"), ["methods.lt-sft.task.steps=5"])
    assert e.experiment_hash() != a.experiment_hash()


def test_a_run_records_its_experiment_hash(tmp_path: Path):
    from sparsexlt.evaluation.store import ResultsStore
    from sparsexlt.recipe.record import open_run

    config = load_config(write(tmp_path, BASE), [f"results_db={tmp_path / 'r.duckdb'}"])
    run_id = open_run(config)
    rows = (
        ResultsStore(config.results_db)
        .query("SELECT config_hash, experiment_hash FROM runs WHERE run_id = ?", [run_id])
        .rows
    )
    assert rows == [(config.config_hash(), config.experiment_hash())]


def test_slice_hash_follows_only_its_slice(tmp_path: Path):
    path = write(tmp_path, BASE)
    a = load_config(path)
    b = load_config(path, ["methods.lt-sft.task.steps=5"])
    key = ("base_model", "languages.tgt", "methods.lt-sft.language", "seed")
    assert a.slice_hash(*key) == b.slice_hash(*key)
    assert a.slice_hash("methods.lt-sft.task") != b.slice_hash("methods.lt-sft.task")
    assert a.slice_hash("languages.1") == a.slice_hash("languages.tgt")
    with pytest.raises(ValueError, match="no such key"):
        a.slice_hash("base_model.colour")


def test_direct_construction_resolves_against_data_dir(tmp_path: Path):
    data = {**BASE, "data_dir": str(tmp_path)}
    config = PipelineConfig(**data)
    assert config.language("src").task_data["train"].path == tmp_path / "a.tsv"
    assert config.source_path is None
    bad = {**data, "scenarios": ["ttrain-all"]}
    with pytest.raises(ConfigError, match="translation.enabled: scenarios ttrain-all need"):
        PipelineConfig(**bad)


def test_a_set_that_replaces_a_list_or_section_is_located_at_the_set(tmp_path: Path):
    path = write(tmp_path, BASE)
    with pytest.raises(ConfigError) as info:
        load_config(
            path,
            [
                "methods=[{name: lt-sft, task: {steps: -1}}]",
                "task={name: senti, type: sequence-classification, labels: [a], metric: bogus}",
            ],
        )
    problems = info.value.problems
    assert any(p.startswith("methods.0.task.steps:") for p in problems)
    assert any(p.startswith("task.metric:") for p in problems)
    assert all(p.endswith("(from --set)") for p in problems), problems


def test_a_model_path_from_set_resolves_against_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = write(tmp_path, BASE)
    cwd = tmp_path / "elsewhere"
    (cwd / "m").mkdir(parents=True)
    (cwd / "nllb").mkdir()
    monkeypatch.chdir(cwd)
    config = load_config(path, ["base_model.name_or_path=./m", "translation={model: ./nllb}"])
    assert config.base_model.name_or_path == str(cwd / "m")
    assert config.translation.model == str(cwd / "nllb")
    # written in the file, the same path still resolves against the config's folder
    (tmp_path / "m").mkdir()
    in_file = {**BASE, "base_model": {"name_or_path": "./m"}}
    assert load_config(write(tmp_path, in_file)).base_model.name_or_path == str(tmp_path / "m")


@pytest.mark.parametrize("value", ["runs #1", "2024-01-01", "a: b", "tiny:", "null", "ü/😀\x85"])
def test_verbatim_overrides_read_back_exactly(tmp_path: Path, value: str):
    from sparsexlt.config.overrides import parse_overrides, verbatim

    assert parse_overrides([verbatim("output_dir", value)]) == ([("output_dir", value)], [])
    config = load_config(write(tmp_path, BASE), [verbatim("output_dir", tmp_path / value)])
    assert config.output_dir == tmp_path / value
