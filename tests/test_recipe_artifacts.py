"""Artifacts and the steps' Prefect cache keys: a finished training is never thrown away before
it is published, and a cached result never points at a folder that is gone or at another
dropout than the one configured."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sparsexlt.config import load_config
from sparsexlt.recipe import artifacts
from sparsexlt.recipe.base_model import known_base, prepare_base_model
from sparsexlt.recipe.language_sft import train_language_sft
from sparsexlt.recipe.plan import build_plan, plan_base
from sparsexlt.tasks import base_model_task, translate_task

pytestmark = pytest.mark.usefixtures("torch_one_thread")

DEMO = Path(__file__).resolve().parents[1] / "configs" / "demo.yaml"
ONE_METHOD = "methods=[{name: spiel-ag, language: {k: 0.1, steps: 2, batch_size: 8}, task: {}}]"


def _config(out: Path, *overrides: str):
    return load_config(DEMO, [f"output_dir={out}", "scenarios=[zs]", *overrides])


def test_an_interrupted_publication_keeps_the_finished_training(tmp_path, monkeypatch):
    config = _config(tmp_path, ONE_METHOD)
    base_job = plan_base(config)
    base = prepare_base_model(base_job, tmp_path)
    job = build_plan(config, base_job, base.info["fingerprint"]).language_sfts[0]
    work = artifacts.work_dir(tmp_path, "language-sft", job.key)

    def ctrl_c(path):  # arrives while the finished artifact is hashed, before its rename
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(artifacts, "sha256_tree", ctrl_c)
        with pytest.raises(KeyboardInterrupt):
            train_language_sft(job, base, tmp_path)
    assert artifacts.find(tmp_path, "language-sft", job.key) is None
    assert (work / "component").is_dir()  # the training survives for the re-run

    ref = train_language_sft(job, base, tmp_path)
    assert (Path(ref.path) / "component").is_dir() and not work.exists()
    assert [b["kind"] for b in artifacts.builds(tmp_path)] == ["base-model", "language-sft"]


def _cache_key(task, job, out: Path) -> str | None:
    return task.cache_key_fn(None, {"job": job, "output_dir": str(out)})


def test_cache_keys_hold_while_the_artifact_lives_and_change_once_it_is_gone(tmp_path):
    out = tmp_path / "out"
    config = _config(out, ONE_METHOD)
    base_job = plan_base(config)
    first = _cache_key(base_model_task, base_job, out)  # computed before the step runs
    base = prepare_base_model(base_job, out)
    assert _cache_key(base_model_task, base_job, out) == first  # the next run finds its result
    shutil.rmtree(Path(base.path).parent)  # the user deletes the built model
    rebuilt = _cache_key(base_model_task, base_job, out)
    assert rebuilt != first
    prepare_base_model(base_job, out)
    assert _cache_key(base_model_task, base_job, out) == rebuilt

    plan = build_plan(_config(out, "scenarios=[ttrain-all]"), base_job, "f" * 64)
    job = plan.translations[0]
    first = _cache_key(translate_task, job, out)
    artifacts.produce(out, "translation", job.key, lambda tmp: None)
    assert _cache_key(translate_task, job, out) == first
    shutil.rmtree(out)  # the whole output folder this time
    assert _cache_key(translate_task, job, out) != first


def test_the_base_models_cached_ref_follows_the_configured_dropout(tmp_path):
    jobs = [plan_base(_config(tmp_path, f"base_model.dropout={p}")) for p in (0.1, 0.3)]
    assert jobs[0].key == jobs[1].key  # one model folder for both
    prepare_base_model(jobs[0], tmp_path)
    keys = [_cache_key(base_model_task, job, tmp_path) for job in jobs]
    assert None not in keys and keys[0] != keys[1]
    seen = known_base(jobs[1], tmp_path)  # what a dry run shows, from the 0.1 run's record
    assert seen.info["dropout"] == 0.3
    assert seen.info["identity"] == prepare_base_model(jobs[1], tmp_path).info["identity"]


def test_a_hub_base_models_cached_ref_holds_though_its_name_is_no_folder(tmp_path):
    import json
    from dataclasses import asdict

    from sparsexlt.recipe.artifacts import ArtifactRef

    job = plan_base(_config(tmp_path, "base_model.name_or_path=xlm-roberta-base"))
    assert job.tiny is None
    first = _cache_key(base_model_task, job, tmp_path)
    record = tmp_path / "cache" / "base-model" / f"{job.key}.json"  # what the step remembers
    ref = ArtifactRef("base-model", job.key, "xlm-roberta-base", None, info={"fingerprint": "f"})
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(asdict(ref)))
    # the key the step's result was stored under is found by every later run, not renewed
    assert _cache_key(base_model_task, job, tmp_path) == first
    assert _cache_key(base_model_task, job, tmp_path) == first
