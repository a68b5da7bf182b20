"""Every config in configs/ validates against the real data, and resolves paths as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparsexlt.config import load_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


def test_configs_are_shipped():
    names = {p.stem for p in CONFIGS}
    assert {"nusax", "ud-pos", "ud-dp", "masakhaner"} <= names


@pytest.mark.realdata
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_shipped_config_validates(path: Path, shared_data: Path):
    config = load_config(path, [f"data_dir={shared_data}"])
    assert config.sources and config.targets
    for source in config.data_sources():
        if source.format != "demo":
            assert Path(source.path).is_absolute() and Path(source.path).exists(), source
    assert len(config.config_hash()) == 64


@pytest.mark.realdata
def test_nusax_layout(shared_data: Path):
    config = load_config(
        Path(__file__).parents[1] / "configs/nusax.yaml", {"data_dir": str(shared_data)}
    )
    assert [lang.code for lang in config.sources] == ["ind"]
    assert sorted(t.code for t in config.targets) == sorted(
        ["ace", "ban", "bjn", "bug", "jav", "mad", "min", "nij", "sun", "bbc"]
    )
    assert config.task.labels == ["negative", "neutral", "positive"]
    assert config.task.metric == "macro_f1"
    train = config.language("ind").task_data["train"]
    assert train.format == "smsa-tsv"
    assert (
        str(shared_data / "nusax/sentiment/indonesian/test.csv") in train.options["dedup_against"]
    )
    for target in config.targets:
        # unlabelled text comes from NusaX-MT train, never MT test (it holds the test sentences)
        assert target.unlabelled.path == shared_data / "nusax/mt/train.csv"
        assert target.task_data["test"].path.name == "test.csv"
        assert target.few_shot.k == 100
    assert config.language("mad").nllb is None and config.language("jav").nllb == "jav_Latn"


@pytest.mark.realdata
def test_ud_and_ner_label_sets(shared_data: Path):
    root = Path(__file__).parents[1] / "configs"
    pos = load_config(root / "ud-pos.yaml", [f"data_dir={shared_data}"])
    assert len(pos.task.labels) == 17 and pos.task.metric == "upos_accuracy"
    assert {t.code for t in pos.targets if "train" not in t.task_data} == {"fao", "yor", "tgl"}
    dp = load_config(root / "ud-dp.yaml", [f"data_dir={shared_data}"])
    assert dp.task.labels is None and dp.task.metrics == ["las", "uas"]
    ner = load_config(root / "masakhaner.yaml", [f"data_dir={shared_data}"])
    assert ner.task.metric == "seqeval_f1" and "B-DATE" in ner.task.labels
    assert len(ner.targets) == 9


@pytest.mark.realdata
def test_data_dir_in_file_is_relative_to_the_file(tmp_path: Path, shared_data: Path, monkeypatch):
    (tmp_path / "sub").mkdir()
    cfg = tmp_path / "sub" / "c.yaml"
    text = (Path(__file__).parents[1] / "configs/ud-pos.yaml").read_text()
    link = tmp_path / "data"
    link.symlink_to(shared_data)
    cfg.write_text(text.replace("data_dir: ../../shared/data", "data_dir: ../data"))
    monkeypatch.chdir(tmp_path / "sub")  # irrelevant for data_dir in the file...
    assert load_config(cfg).data_dir == link
    monkeypatch.chdir(tmp_path)  # ...but an override is relative to the working directory
    config = load_config(cfg, ["data_dir=data", "output_dir=out"])
    assert config.data_dir == link and config.output_dir == tmp_path / "out"
    assert config.results_db == tmp_path / "out" / "results.duckdb"
