"""Artifact keys hash what changes a result, and nothing else: not where a local model or a
dedup file lives, not settings that only watch a training (`eval_every`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from sparsexlt.config import DataSource, load_config
from sparsexlt.recipe.inputs import data_ref
from sparsexlt.recipe.plan import build_plan, plan_base, plan_translator

DEMO = Path(__file__).resolve().parents[1] / "configs" / "demo.yaml"
TSV = "good film\tpositive\nbad film\tnegative\n"


def _smsa(folder: Path, dedup: bool = True) -> DataSource:
    folder.mkdir()
    (folder / "train.tsv").write_text(TSV)
    (folder / "test.tsv").write_text("bad film\tnegative\n")
    options = {"dedup_against": [str(folder / "test.tsv")]} if dedup else {}
    return DataSource(format="smsa-tsv", path=folder / "train.tsv", options=options)


def _key(source: DataSource) -> str:
    return data_ref(source, language="ind", split="train", task_type="sequence-classification").key


def test_dedup_files_count_by_their_bytes_not_their_paths(tmp_path):
    a, b = _smsa(tmp_path / "a"), _smsa(tmp_path / "b")
    assert _key(a) == _key(b)
    assert _key(a) != _key(_smsa(tmp_path / "plain", dedup=False))  # dedup still counts
    (tmp_path / "b" / "test.tsv").write_text("good film\tpositive\n")
    assert _key(a) != _key(b)  # ... by its contents
    assert data_ref(a, language="ind", split="train", task_type="x").options == dict(a.options)


def test_a_local_base_model_is_keyed_by_its_bytes_wherever_it_lives(tmp_path, tiny_encoder_dir):
    first, second = tmp_path / "one" / "model", tmp_path / "two" / "model"
    shutil.copytree(tiny_encoder_dir, first)
    shutil.copytree(tiny_encoder_dir, second)
    jobs = [plan_base(load_config(DEMO, [f"base_model.name_or_path={p}"])) for p in (first, second)]
    assert jobs[0].key == jobs[1].key
    assert jobs[0].name_or_path != jobs[1].name_or_path  # each still loads its own folder
    hub = plan_base(load_config(DEMO, ["base_model.name_or_path=xlm-roberta-base"]))
    other = plan_base(load_config(DEMO, ["base_model.name_or_path=xlm-roberta-large"]))
    assert hub.key != other.key  # hub ids are keyed by name


def test_a_local_translator_is_keyed_by_its_bytes_wherever_it_lives(tmp_path):
    folders = [tmp_path / "a" / "nllb", tmp_path / "b" / "nllb"]
    for folder in folders:
        folder.mkdir(parents=True)
        (folder / "config.json").write_text('{"model_type": "m2m_100"}')
    jobs = [
        plan_translator(load_config(DEMO, [f"translation.model={f}"]), {"jav": "jav_Latn"})
        for f in folders
    ]
    assert jobs[0].key == jobs[1].key and jobs[0].model != jobs[1].model


def test_eval_every_reaches_training_but_no_key():
    def plan(*overrides: str):
        return build_plan(load_config(DEMO, list(overrides)), fingerprint="f" * 64)

    adapt = (
        "translation.adapt={method: full, training: {steps: 4, eval_every: %s}, "
        "data: {mad: {source: {format: demo}, target: {format: demo}}}}"
    )
    quiet = plan(adapt % "null")
    watched = plan(
        "methods.lt-sft.task.eval_every=5",
        "methods.spiel-ag.language.eval_every=3",
        adapt % "2",
    )
    for kind in ("language_sfts", "task_sfts", "evaluations", "mt_adaptations", "translations"):
        before, after = getattr(quiet, kind), getattr(watched, kind)
        assert before and [j.key for j in before] == [j.key for j in after], kind
    lt = next(j for j in watched.task_sfts if j.method == "lt-sft")
    assert lt.train["eval_every"] == 5 and lt.validation is not None  # still scored in training
    assert next(j for j in quiet.task_sfts if j.method == "lt-sft").validation is None
    assert plan("methods.lt-sft.task.lr=0.5").task_sfts[-1].key != quiet.task_sfts[-1].key
