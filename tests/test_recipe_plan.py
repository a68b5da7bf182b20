"""Planning: which jobs a config yields, how their keys react to changes, the dry run."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sparsexlt.cli import app
from sparsexlt.config import load_config
from sparsexlt.errors import ConfigError
from sparsexlt.recipe import hparams
from sparsexlt.recipe.plan import build_plan, restrict_to_targets
from sparsexlt.recipe.validate import preflight, preflight_problems

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "configs" / "demo.yaml"


def demo(*overrides: str):
    return load_config(DEMO, list(overrides))


def keys(jobs) -> dict:
    return {
        (getattr(j, "method", ""), getattr(j, "language", ""), getattr(j, "name", "")): j.key
        for j in jobs
    }


def test_demo_plan_has_every_step_and_says_what_it_skips():
    plan = build_plan(demo(), fingerprint="f" * 64)
    assert len(plan.language_sfts) == 6  # 2 methods × 3 languages
    assert [(t.source, t.target, t.tgt_code) for t in plan.translations] == [
        ("ind", "jav", "jav_Latn")
    ]
    assert plan.translator.codes == ("ind_Latn", "jav_Latn")
    per_method = [j for j in plan.task_sfts if j.method == "lt-sft"]
    # zs, fs-single ×2, fs-no-upsample ×2, fs-all, ttrain-single ×1 (mad lacks NLLB), ttrain-all,
    # fs+ttrain-all
    assert len(per_method) == 9
    assert len(plan.evaluations) == 2 * 13
    assert any("mad is not in NLLB-200" in n for n in plan.notes)
    assert ("ttrain-single", None) not in {(j.scenario, j.target) for j in plan.task_sfts}
    fs = next(j for j in plan.task_sfts if j.scenario == "fs-single" and j.target == "jav")
    assert [(p.name, p.upsample, p.few_shot["k"] if p.few_shot else None) for p in fs.parts] == [
        ("task-ind", 1.0, None),
        ("fs-jav", 5.0, 12),
    ]
    assert all(p.language_sft_key for p in fs.parts)
    no_up = next(j for j in plan.task_sfts if j.scenario == "fs-no-upsample" and j.target == "jav")
    assert no_up.parts[1].upsample == 1.0 and no_up.key != fs.key


def test_equal_mixes_share_one_key():
    plan = build_plan(demo(), fingerprint="f" * 64)
    # with one translatable target, ttrain-single:jav and ttrain-all train on the same mix
    single = next(
        j for j in plan.task_sfts if j.scenario == "ttrain-single" and j.method == "lt-sft"
    )
    every = next(j for j in plan.task_sfts if j.scenario == "ttrain-all" and j.method == "lt-sft")
    assert single.key == every.key


def test_keys_are_stable_and_follow_their_inputs_only():
    base = build_plan(demo(), fingerprint="a" * 64)
    assert keys(base.task_sfts) == keys(build_plan(demo(), fingerprint="a" * 64).task_sfts)

    task_changed = build_plan(demo("methods.lt-sft.task.lr=0.5"), fingerprint="a" * 64)
    assert keys(task_changed.language_sfts) == keys(base.language_sfts)
    changed = {k for k, v in keys(task_changed.task_sfts).items() if keys(base.task_sfts)[k] != v}
    assert changed and all(k[0] == "lt-sft" for k in changed)

    other_weights = build_plan(demo(), fingerprint="b" * 64)
    assert set(keys(other_weights.language_sfts).values()).isdisjoint(
        keys(base.language_sfts).values()
    )
    # the translator does not depend on the encoder
    assert other_weights.translator.key == base.translator.key

    new_location = build_plan(demo("output_dir=/elsewhere", "name=other"), fingerprint="a" * 64)
    assert keys(new_location.evaluations) == keys(base.evaluations)


def test_a_changed_data_file_changes_its_consumers_keys_only(tmp_path, tiny_encoder_dir):
    for lang in ("ind", "jav"):
        (tmp_path / f"{lang}.txt").write_text("some text here\nmore text\n")
    rows = "id,text,label\n1,good,positive\n2,bad,negative\n"
    for name in ("ind_train", "jav_train", "jav_test"):
        (tmp_path / f"{name}.csv").write_text(rows)
    config = {
        "name": "tiny",
        "base_model": {"name_or_path": str(tiny_encoder_dir)},  # tiny: would train on the text
        "task": {
            "name": "t",
            "type": "sequence-classification",
            "labels": ["negative", "positive"],
            "metric": "accuracy",
        },
        "languages": [
            {
                "code": "ind",
                "role": "source",
                "unlabelled": {"path": "ind.txt", "format": "text"},
                "task_data": {"train": {"path": "ind_train.csv", "format": "nusax-csv"}},
            },
            {
                "code": "jav",
                "role": "target",
                "unlabelled": {"path": "jav.txt", "format": "text"},
                "task_data": {
                    "train": {"path": "jav_train.csv", "format": "nusax-csv"},
                    "test": {"path": "jav_test.csv", "format": "nusax-csv"},
                },
                "few_shot": {"k": 1},
            },
        ],
        "scenarios": ["zs", "fs-single"],
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    before = build_plan(load_config(path), fingerprint="a" * 64)
    (tmp_path / "jav.txt").write_text("other text\n")
    after = build_plan(load_config(path), fingerprint="a" * 64)
    lang_before = {j.language: j.key for j in before.language_sfts}
    lang_after = {j.language: j.key for j in after.language_sfts}
    assert lang_before["ind"] == lang_after["ind"] and lang_before["jav"] != lang_after["jav"]
    zs = [j.key for p in (before, after) for j in p.task_sfts if j.scenario == "zs"]
    assert zs[0] == zs[1]  # zs trains with φ_ind only
    fs = [j.key for p in (before, after) for j in p.task_sfts if j.scenario == "fs-single"]
    assert fs[0] != fs[1]  # fs-single applies φ_jav to its few-shot batches
    ev = [{e.scenario: e.key for e in p.evaluations} for p in (before, after)]
    assert ev[0]["zs"] != ev[1]["zs"]  # evaluated with the new φ_jav


def test_restricting_to_one_target_keeps_only_what_it_needs():
    plan = restrict_to_targets(build_plan(demo(), fingerprint="f" * 64), ["mad"])
    assert {e.target for e in plan.evaluations} == {"mad"}
    assert {j.language for j in plan.language_sfts} == {"ind", "mad", "jav"}  # jav: -all mixes
    assert not any(j.target == "jav" for j in plan.task_sfts)
    only_zs = restrict_to_targets(build_plan(demo("scenarios=[zs]"), fingerprint="f" * 64), ["mad"])
    assert {j.language for j in only_zs.language_sfts} == {"ind", "mad"}
    assert only_zs.translations == [] and only_zs.translator is None


def test_method_settings_map_to_hyperparameters_and_training_lengths():
    config = demo()
    lt, spiel = config.method("lt-sft"), config.method("spiel-ag")
    assert hparams.train_config_kwargs(lt, "task", seed=3)["steps"] == [100, 100]
    assert hparams.train_config_kwargs(spiel, "task", seed=3)["steps"] == 200
    task = hparams.method_hparams(spiel, "task", seed=3, task="t")
    assert task == {
        "k": 0.1,
        "language_sft": False,
        "seed": 3,
        "task": "t",
        "reselection_interval": 20,
        "embeddings": True,
    }
    assert hparams.method_hparams(lt, "language", seed=3, language="jav")["language_sft"] is True
    full = load_config(DEMO, ["methods=[{name: full}]"]).methods[0]
    assert hparams.method_hparams(full, "task", seed=0) == {}
    assert hparams.train_config_kwargs(full, "task", seed=0)["epochs"] == 1.0


def test_preflight_lists_every_problem_the_schema_cannot_see():
    bad = demo(
        "methods.spiel-ag.task.extra={bogus: 1}",
        "methods.lt-sft.language.extra={also_bogus: 2}",
        "translation.model=tiny:wings=3",
    )
    problems = preflight_problems(bad)
    assert any("methods.0.task.extra" in p and "bogus" in p for p in problems)
    assert any("methods.1.language.extra" in p and "also_bogus" in p for p in problems)
    assert any("translation.model" in p and "wings" in p for p in problems)
    with pytest.raises(ConfigError) as err:
        preflight(bad)
    assert len(err.value.problems) == 3
    assert preflight_problems(demo()) == []


def test_dry_run_prints_the_plan_without_running(tmp_path):
    result = CliRunner().invoke(
        app, ["run", str(DEMO), "--dry-run", "--output-dir", str(tmp_path), "--scenario", "zs"]
    )
    assert result.exit_code == 0, result.output
    assert "Language SFTs (6)" in result.output and "Task SFTs (2)" in result.output
    assert "Evaluations (4)" in result.output
    assert not (tmp_path / "artifacts").exists()
    every = CliRunner().invoke(app, ["run", str(DEMO), "--dry-run", "--output-dir", str(tmp_path)])
    # ttrain-all (only jav is translatable) has ttrain-single:jav's mix: one key, one training
    assert "Task SFTs (18, 16 distinct)" in every.output
    assert "Evaluations (26, 24 distinct)" in every.output


def test_run_refuses_an_invalid_config_before_anything_starts(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(DEMO),
            "--output-dir",
            str(tmp_path),
            "--set",
            "methods.0.task.steps=-1",
            "--set",
            "languages.jav.few_shot.k=0",
        ],
    )
    assert result.exit_code == 2
    assert "steps" in result.output and "few_shot.k" in result.output
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["nusax", "ud-pos", "ud-dp", "masakhaner"])
def test_shipped_configs_plan(shared_data, name):
    config = load_config(REPO / "configs" / f"{name}.yaml", [f"data_dir={shared_data}"])
    plan = build_plan(config)
    assert plan.task_sfts and plan.evaluations
    targets = {t.code for t in config.targets}
    assert {e.target for e in plan.evaluations} <= targets
    if name == "nusax":
        translated = {t.target for t in plan.translations}
        assert translated == targets  # NLLB languages directly, the others after adaptation
        adapted = {a.target: a for a in plan.mt_adaptations}
        assert set(adapted) == {"mad", "nij", "bbc"}
        assert {t.translator_key for t in plan.translations if t.target == "mad"} == {
            adapted["mad"].key
        }
        assert any("mad" in n and "adapted" in n for n in plan.notes)
    else:
        assert plan.translations == []  # token-level tasks: no translate-train
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(REPO / "configs" / f"{name}.yaml"),
            "--dry-run",
            "--set",
            f"data_dir={shared_data}",
            "--output-dir",
            "/nonexistent/out",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"Evaluations ({len(plan.evaluations)})" in result.output
