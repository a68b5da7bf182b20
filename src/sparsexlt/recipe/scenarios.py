"""The experiment table as data: which training sources each scenario's task SFT mixes.

A scenario is nothing but a different mix of sources for the multi-source task step (DESIGN.md,
"Scenarios"). Every source is one stream of labelled examples in one language; the trainer takes
each batch from one source and applies that language's SFT during the step.

| scenario | task SFTs | sources of each |
|---|---|---|
| `zs` | one | task data of every source language |
| `fs-single` | one per target with few-shot data | sources + k examples of that target, upsampled |
| `fs-no-upsample` | one per target with few-shot data | as fs-single, few-shot not upsampled |
| `fs-all` | one | sources + few-shot data of every target that has it, upsampled |
| `ttrain-single` | one per translatable target | sources + their translation into that target |
| `ttrain-all` | one | sources + their translations into every translatable target |
| `fs+ttrain-all` | one | sources + all translations + all few-shot data (upsampled) |

A "-single" SFT is evaluated on its own target only; the others on every target. A target that
lacks what a "-single" scenario needs (few-shot data, or a language NLLB can translate into)
gets no SFT there and no result row, and the plan says why; an "-all" mix simply lacks that
target's part, unless no target is translatable: then a ttrain "-all" scenario is skipped (with
a note per target), since without translations it would be zs or fs-all under another name.
Pure functions over small values: no config, no I/O, no torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from sparsexlt.config.constants import SCENARIOS

SourceKind = Literal["task", "translation", "few-shot"]


@dataclass(frozen=True)
class TargetInfo:
    """What the scenario rules need to know about one target language."""

    code: str
    few_shot: bool  # has few-shot task data configured
    translatable: bool  # the source task data can be translated into it


@dataclass(frozen=True)
class MixPart:
    """One training source of a task SFT.

    kind: `task` (a source language's own training data), `translation` (source data
    translated into `language`), `few-shot` (k labelled examples of target `language`).
    language: the language of the examples: its language SFT is applied to their batches.
    origin: for `translation`, the source language the data was translated from.
    upsample: whether the target's few-shot upsampling factor applies (few-shot parts only).
    """

    kind: SourceKind
    language: str
    origin: str | None = None
    upsample: bool = False

    @property
    def name(self) -> str:
        """Unique within a mix: `task-ind`, `ttrain-ind-jav`, `fs-jav`."""
        if self.kind == "translation":
            return f"ttrain-{self.origin}-{self.language}"
        return f"{'fs' if self.kind == 'few-shot' else 'task'}-{self.language}"


@dataclass(frozen=True)
class TaskSFTSpec:
    """One task SFT to train: its scenario, the target it is for ("-single"), its sources,
    and the targets it is evaluated on."""

    scenario: str
    target: str | None
    parts: tuple[MixPart, ...]
    evaluated_on: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.scenario if self.target is None else f"{self.scenario}:{self.target}"

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages of the training examples, sorted (the `source_langs` of result rows)."""
        return tuple(sorted({p.language for p in self.parts}))


@dataclass
class ScenarioPlan:
    """The task SFTs of some scenarios, plus what was left out and why."""

    sfts: list[TaskSFTSpec] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # scenario, target, why


def source_parts(sources: Sequence[str]) -> list[MixPart]:
    return [MixPart("task", s) for s in sources]


def translation_parts(sources: Sequence[str], target: str) -> list[MixPart]:
    return [MixPart("translation", target, origin=s) for s in sources]


def few_shot_part(target: str, upsample: bool = True) -> MixPart:
    return MixPart("few-shot", target, upsample=upsample)


def plan_scenario(
    scenario: str, sources: Sequence[str], targets: Sequence[TargetInfo]
) -> ScenarioPlan:
    """The task SFTs of one scenario (see the table in the module docstring)."""
    if scenario not in _RULES:
        raise ValueError(f"unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    if not sources:
        raise ValueError("a scenario needs at least one source language")
    return _RULES[scenario](scenario, list(sources), list(targets))


def plan_scenarios(
    scenarios: Sequence[str], sources: Sequence[str], targets: Sequence[TargetInfo]
) -> ScenarioPlan:
    """`plan_scenario` for each scenario, concatenated in the given order."""
    plan = ScenarioPlan()
    for scenario in scenarios:
        one = plan_scenario(scenario, sources, targets)
        plan.sfts += one.sfts
        plan.skipped += one.skipped
    return plan


def _everyone(targets: list[TargetInfo]) -> tuple[str, ...]:
    return tuple(t.code for t in targets)


def _zs(scenario: str, sources: list[str], targets: list[TargetInfo]) -> ScenarioPlan:
    return ScenarioPlan(
        [TaskSFTSpec(scenario, None, tuple(source_parts(sources)), _everyone(targets))]
    )


def _single(
    scenario: str, sources: list[str], targets: list[TargetInfo], *, few_shot: bool, upsample: bool
) -> ScenarioPlan:
    plan = ScenarioPlan()
    for t in targets:
        has = t.few_shot if few_shot else t.translatable
        if not has:
            why = "no few_shot data" if few_shot else "NLLB cannot translate into it"
            plan.skipped.append((scenario, t.code, why))
            continue
        extra = (
            [few_shot_part(t.code, upsample)] if few_shot else translation_parts(sources, t.code)
        )
        parts = tuple(source_parts(sources) + extra)
        plan.sfts.append(TaskSFTSpec(scenario, t.code, parts, (t.code,)))
    return plan


def _all(
    scenario: str, sources: list[str], targets: list[TargetInfo], *, few_shot: bool, ttrain: bool
) -> ScenarioPlan:
    parts = source_parts(sources)
    plan = ScenarioPlan()
    if ttrain and not any(t.translatable for t in targets):
        return _untranslated(scenario, targets)
    if ttrain:
        for t in targets:
            if t.translatable:
                parts += translation_parts(sources, t.code)
            else:
                plan.skipped.append((scenario, t.code, "no translation into it in the mix"))
    if few_shot:
        for t in targets:
            if t.few_shot:
                parts.append(few_shot_part(t.code))
            else:
                plan.skipped.append((scenario, t.code, "no few-shot data of it in the mix"))
    plan.sfts.append(TaskSFTSpec(scenario, None, tuple(parts), _everyone(targets)))
    return plan


def _untranslated(scenario: str, targets: list[TargetInfo]) -> ScenarioPlan:
    """A translate-train "-all" scenario with nothing to translate into: its mix would be that
    of zs (or fs-all), under the same key, recorded as this scenario. Skip it instead."""
    why = "no target can be translated into, so its mix would have no translation: skipped"
    return ScenarioPlan(skipped=[(scenario, t.code, why) for t in targets])


_RULES: dict[str, Callable[[str, list[str], list[TargetInfo]], ScenarioPlan]] = {
    "zs": _zs,
    "fs-single": partial(_single, few_shot=True, upsample=True),
    "fs-no-upsample": partial(_single, few_shot=True, upsample=False),
    "fs-all": partial(_all, few_shot=True, ttrain=False),
    "ttrain-single": partial(_single, few_shot=False, upsample=False),
    "ttrain-all": partial(_all, few_shot=False, ttrain=True),
    "fs+ttrain-all": partial(_all, few_shot=True, ttrain=True),
}
assert set(_RULES) == set(SCENARIOS), "every configurable scenario needs a rule"
