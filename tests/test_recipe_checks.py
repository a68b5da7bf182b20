"""Input the recipe refuses or skips with a message, instead of planning something misleading:
an unknown --target, few-shot examples drawn from the scored split, a non-integer tiny option,
a translate-train scenario with nothing to translate into."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparsexlt.config import load_config
from sparsexlt.errors import ConfigError
from sparsexlt.recipe.base_model import prepare_base_model
from sparsexlt.recipe.plan import build_plan, plan_base, restrict_to_targets
from sparsexlt.recipe.validate import preflight_problems

DEMO = Path(__file__).resolve().parents[1] / "configs" / "demo.yaml"


def test_an_unknown_target_is_an_error_naming_it_and_the_configured_ones():
    plan = build_plan(load_config(DEMO), fingerprint="f" * 64)
    with pytest.raises(ConfigError) as err:
        restrict_to_targets(plan, ["jav", "xyz", "ind"])
    (problem,) = err.value.problems
    assert "xyz" in problem and "ind" in problem and "jav, mad" in problem
    assert "jav" not in problem.split(";")[0]  # a configured target is not reported
    assert restrict_to_targets(plan, ["jav"]).evaluations  # known ones still work


def test_few_shot_examples_may_not_come_from_the_evaluated_split():
    with pytest.raises(ConfigError) as err:
        load_config(DEMO, ["languages.jav.few_shot.split=test"])
    (problem,) = err.value.problems
    assert "few_shot.split" in problem and "evaluation.split" in problem
    with pytest.raises(ConfigError) as err:  # the default split (train), scored on
        load_config(DEMO, ["evaluation.split=train"])
    assert len(err.value.problems) == 2  # jav and mad
    load_config(DEMO, ["languages.jav.few_shot.split=train"])  # the demo's own: fine


def test_tiny_options_must_be_integers():
    config = load_config(
        DEMO, ["base_model.name_or_path=tiny:hidden=sixty", "translation.model=tiny:layers=two"]
    )
    problems = preflight_problems(config)
    assert len(problems) == 2
    assert "base_model.name_or_path" in problems[0] and "hidden='sixty'" in problems[0]
    assert "translation.model" in problems[1] and "layers='two'" in problems[1]
    assert preflight_problems(load_config(DEMO, ["base_model.name_or_path=tiny:hidden=0"]))


def test_a_tiny_base_model_with_a_bad_option_fails_as_a_config_error(tmp_path):
    """Without preflight (a library call): still a ConfigError, which Prefect never retries."""
    job = plan_base(load_config(DEMO, ["base_model.name_or_path=tiny:hidden=sixty"]))
    with pytest.raises(ConfigError, match="hidden='sixty'"):
        prepare_base_model(job, tmp_path)


def test_translate_train_with_nothing_to_translate_into_is_skipped_with_a_note():
    # jav says NLLB lacks it; mad is looked up (`auto`) and not found: no target translatable
    config = load_config(DEMO, ["languages.jav.nllb=null", "languages.mad.nllb=auto"])
    plan = build_plan(config, fingerprint="f" * 64)
    scenarios = {j.scenario for j in plan.task_sfts} | {e.scenario for e in plan.evaluations}
    assert scenarios == {"zs", "fs-single", "fs-no-upsample", "fs-all"}
    for name in ("ttrain-all", "fs+ttrain-all"):
        notes = [n for n in plan.notes if n.startswith(f"{name}:")]
        assert len(notes) == 2 and all("no target can be translated into" in n for n in notes)
    assert plan.translator is None and plan.translations == []


def test_a_method_that_cannot_train_a_translation_model_is_refused_before_the_run():
    from sparsexlt.translation.adapt import AdaptConfig

    adapt = [
        "translation.adapt.data.mad.source.format=demo",
        "translation.adapt.data.mad.target.format=demo",
    ]
    for method in ("lt-sft", "madx"):
        config = load_config(DEMO, [*adapt, f"translation.adapt.method={method}"])
        (problem,) = preflight_problems(config)
        assert problem.startswith("translation.adapt.method:") and method in problem
        with pytest.raises(ConfigError, match="spiel-ag, spiel-ma, lora, full"):
            AdaptConfig("ind", "mad", method=method)
    assert preflight_problems(load_config(DEMO, [*adapt, "translation.adapt.method=lora"])) == []
