"""The scenario table: which sources each scenario's task SFTs mix, and who is skipped."""

from __future__ import annotations

import pytest

from sparsexlt.config.constants import SCENARIOS
from sparsexlt.recipe.scenarios import MixPart, TargetInfo, plan_scenario, plan_scenarios

JAV = TargetInfo("jav", few_shot=True, translatable=True)
MAD = TargetInfo("mad", few_shot=True, translatable=False)  # NLLB lacks it
SUN = TargetInfo("sun", few_shot=False, translatable=True)  # no few-shot data
TARGETS = [JAV, MAD, SUN]

TASK_IND = MixPart("task", "ind")


def parts(plan, target=None):
    (sft,) = [s for s in plan.sfts if s.target == target]
    return list(sft.parts)


def test_zs_is_source_data_only_and_evaluated_on_every_target():
    plan = plan_scenario("zs", ["ind"], TARGETS)
    assert len(plan.sfts) == 1
    assert parts(plan) == [TASK_IND]
    assert plan.sfts[0].evaluated_on == ("jav", "mad", "sun")
    assert plan.skipped == []


def test_fs_single_is_source_plus_upsampled_few_shot_of_that_target():
    plan = plan_scenario("fs-single", ["ind"], TARGETS)
    assert [s.target for s in plan.sfts] == ["jav", "mad"]
    assert parts(plan, "jav") == [TASK_IND, MixPart("few-shot", "jav", upsample=True)]
    assert plan.sfts[0].evaluated_on == ("jav",)
    assert plan.skipped == [("fs-single", "sun", "no few_shot data")]


def test_fs_no_upsample_is_fs_single_without_upsampling():
    plan = plan_scenario("fs-no-upsample", ["ind"], TARGETS)
    assert parts(plan, "mad") == [TASK_IND, MixPart("few-shot", "mad", upsample=False)]


def test_fs_all_adds_the_few_shot_data_of_every_target_that_has_it():
    plan = plan_scenario("fs-all", ["ind"], TARGETS)
    assert parts(plan) == [
        TASK_IND,
        MixPart("few-shot", "jav", upsample=True),
        MixPart("few-shot", "mad", upsample=True),
    ]
    assert plan.sfts[0].evaluated_on == ("jav", "mad", "sun")


def test_ttrain_single_only_for_targets_nllb_can_translate_into():
    plan = plan_scenario("ttrain-single", ["ind"], TARGETS)
    assert [s.target for s in plan.sfts] == ["jav", "sun"]
    assert parts(plan, "jav") == [TASK_IND, MixPart("translation", "jav", origin="ind")]
    assert ("ttrain-single", "mad", "NLLB cannot translate into it") in plan.skipped


def test_ttrain_all_lacks_the_untranslatable_target_but_is_still_evaluated_on_it():
    plan = plan_scenario("ttrain-all", ["ind"], TARGETS)
    assert parts(plan) == [
        TASK_IND,
        MixPart("translation", "jav", origin="ind"),
        MixPart("translation", "sun", origin="ind"),
    ]
    assert "mad" in plan.sfts[0].evaluated_on
    assert [s[1] for s in plan.skipped] == ["mad"]


def test_fs_ttrain_all_mixes_everything():
    plan = plan_scenario("fs+ttrain-all", ["ind"], TARGETS)
    kinds = [(p.kind, p.language) for p in parts(plan)]
    assert kinds == [
        ("task", "ind"),
        ("translation", "jav"),
        ("translation", "sun"),
        ("few-shot", "jav"),
        ("few-shot", "mad"),
    ]
    assert plan.sfts[0].languages == ("ind", "jav", "mad", "sun")


def test_several_sources_each_contribute_data_and_translations():
    plan = plan_scenario("ttrain-single", ["eng", "ind"], [JAV])
    assert parts(plan, "jav") == [
        MixPart("task", "eng"),
        MixPart("task", "ind"),
        MixPart("translation", "jav", origin="eng"),
        MixPart("translation", "jav", origin="ind"),
    ]
    assert len({p.name for p in parts(plan, "jav")}) == 4  # source names stay unique


def test_every_configurable_scenario_has_a_rule_and_unknown_ones_are_refused():
    plan = plan_scenarios(SCENARIOS, ["ind"], TARGETS)
    assert {s.scenario for s in plan.sfts} == set(SCENARIOS)
    with pytest.raises(ValueError, match="unknown scenario 'fs-some'"):
        plan_scenario("fs-some", ["ind"], TARGETS)
    with pytest.raises(ValueError, match="source"):
        plan_scenario("zs", [], TARGETS)


def test_part_names_say_what_they_are():
    assert MixPart("task", "ind").name == "task-ind"
    assert MixPart("few-shot", "jav", upsample=True).name == "fs-jav"
    assert MixPart("translation", "jav", origin="ind").name == "ttrain-ind-jav"


def test_ttrain_all_scenarios_with_no_translatable_target_are_skipped_not_renamed_zs():
    untranslatable = [MAD, TargetInfo("nij", few_shot=False, translatable=False)]
    for scenario in ("ttrain-all", "fs+ttrain-all"):
        plan = plan_scenario(scenario, ["ind"], untranslatable)
        assert plan.sfts == []
        assert [(s, t) for s, t, _ in plan.skipped] == [(scenario, "mad"), (scenario, "nij")]
