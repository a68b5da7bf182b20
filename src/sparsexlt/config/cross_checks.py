"""Rules that span several blocks of a config (languages × task × scenarios × translation).

They read plain data (a dict from YAML, or `model_dump()`), tolerating malformed parts, so that
`load_config` can report them together with type errors elsewhere in the same file: pydantic
skips a model's own after-validators as soon as any field inside it is invalid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sparsexlt.config.constants import (
    DATA_FORMATS,
    FEW_SHOT_SCENARIOS,
    FORMATS_BY_TASK,
    SCENARIOS,
    TASK_TYPES,
    TRANSLATABLE_TASKS,
    TRANSLATE_TRAIN_SCENARIOS,
)
from sparsexlt.config.dotted import Path
from sparsexlt.config.languages import FewShot

FEW_SHOT_SPLIT = FewShot.model_fields["split"].default

Problem = tuple[Path, str]


def cross_field_problems(
    data: Mapping[str, Any], eval_split_default: str = "test"
) -> list[Problem]:
    """Every cross-block problem of `data`, each with the path it is about."""
    if not isinstance(data, Mapping):
        return []
    languages = _dicts(data.get("languages"))
    task = _get(data, "task", {})
    split = _get(_get(data, "evaluation", {}), "split", eval_split_default)
    scenarios = data.get("scenarios", list(SCENARIOS))
    scenarios = [s for s in scenarios if isinstance(s, str)] if isinstance(scenarios, list) else []
    return [
        *_role_problems(data.get("languages"), languages),
        *_code_problems(languages),
        *_evaluation_data_problems(languages, split),
        *_few_shot_split_problems(languages, split),
        *_format_problems(languages, _get(task, "type", None)),
        *_method_problems(data.get("methods")),
        *_scenario_problems(data, languages, scenarios, _get(task, "type", None)),
    ]


def _get(obj: Any, key: str, default: Any) -> Any:
    return obj.get(key, default) if isinstance(obj, Mapping) else default


def _dicts(items: Any) -> list[tuple[int, Mapping[str, Any]]]:
    if not isinstance(items, list):
        return []
    return [(i, x) for i, x in enumerate(items) if isinstance(x, Mapping)]


def _role_problems(raw: Any, languages: list[tuple[int, Mapping]]) -> list[Problem]:
    if not isinstance(raw, list):
        return []
    roles = [lang.get("role") for _, lang in languages]
    if len(roles) != len(raw) or any(r not in ("source", "target") for r in roles):
        return []  # a malformed entry is reported on its own; counting would mislead
    missing = [r for r in ("source", "target") if r not in roles]
    if not missing:
        return []
    return [(("languages",), f"need at least one {' and one '.join(missing)} language")]


def _code_problems(languages: list[tuple[int, Mapping]]) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, lang in languages:
        code = lang.get("code")
        if not isinstance(code, str):
            continue
        if code in seen:
            problems.append(
                (("languages", i, "code"), f"repeated code {code!r} (also languages.{seen[code]})")
            )
        seen.setdefault(code, i)
    return problems


def _evaluation_data_problems(languages: list[tuple[int, Mapping]], split: Any) -> list[Problem]:
    problems = []
    for i, lang in languages:
        task_data = lang.get("task_data") or {}
        if (
            lang.get("role") == "target"
            and isinstance(task_data, Mapping)
            and isinstance(split, str)
            and split not in task_data
        ):
            problems.append(
                (
                    ("languages", i, "task_data"),
                    f"a target needs task_data.{split} to be evaluated on (evaluation.split)",
                )
            )
    return problems


def _few_shot_split_problems(languages: list[tuple[int, Mapping]], split: Any) -> list[Problem]:
    """Few-shot examples drawn from the split a target is scored on would be test examples the
    fs scenarios train on: their scores would measure memory, not transfer."""
    problems = []
    for i, lang in languages:
        few_shot = lang.get("few_shot")
        chosen = _get(few_shot, "split", FEW_SHOT_SPLIT) if isinstance(few_shot, Mapping) else None
        if isinstance(split, str) and chosen == split:
            problems.append(
                (
                    ("languages", i, "few_shot", "split"),
                    f"{split!r} is also evaluation.split: the few-shot examples would be scored "
                    "on; take them from another task_data split",
                )
            )
    return problems


def _format_problems(languages: list[tuple[int, Mapping]], task_type: Any) -> list[Problem]:
    if task_type not in TASK_TYPES:
        return []
    allowed = FORMATS_BY_TASK[task_type]
    problems = []
    for i, lang in languages:
        task_data = lang.get("task_data")
        if not isinstance(task_data, Mapping):
            continue
        for split, source in task_data.items():
            fmt = _get(source, "format", None)
            if fmt in DATA_FORMATS and fmt not in allowed:
                problems.append(
                    (
                        ("languages", i, "task_data", split, "format"),
                        f"{fmt!r} does not give {task_type} examples; use one of "
                        + ", ".join(sorted(allowed)),
                    )
                )
    return problems


def _method_problems(methods: Any) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for i, method in _dicts(methods):
        key = method.get("label") or method.get("name")
        if not isinstance(key, str):
            continue
        if key in seen:
            problems.append(
                (
                    ("methods", i),
                    f"repeated method {key!r} (also methods.{seen[key]}); give the entries "
                    "different `label`s",
                )
            )
        seen.setdefault(key, i)
    return problems


def _scenario_problems(
    data: Mapping, languages: list[tuple[int, Mapping]], scenarios: list, task_type: Any
) -> list[Problem]:
    problems: list[Problem] = []
    for i, name in enumerate(scenarios):
        if scenarios.index(name) != i:
            problems.append((("scenarios", i), f"repeated scenario {name!r}"))
    targets = [(i, lang) for i, lang in languages if lang.get("role") == "target"]
    few_shot = sorted(s for s in set(scenarios) & FEW_SHOT_SCENARIOS)
    if few_shot and targets and not any(lang.get("few_shot") for _, lang in targets):
        problems.append(
            (
                ("scenarios",),
                f"scenarios {', '.join(few_shot)} need at least one target language with few_shot "
                "(or remove them from scenarios)",
            )
        )
    ttrain = sorted(s for s in set(scenarios) & TRANSLATE_TRAIN_SCENARIOS)
    translation = _get(data, "translation", {})
    adapt_data = _get(_get(translation, "adapt", {}), "data", {})
    adapt_codes = set(adapt_data) if isinstance(adapt_data, Mapping) else set()
    if ttrain:
        problems += _ttrain_problems(ttrain, translation, task_type, languages, adapt_codes)
    target_codes = {code for _, lang in targets if isinstance(code := lang.get("code"), str)}
    for code in sorted(adapt_codes - target_codes, key=str):
        problems.append(
            (("translation", "adapt", "data", code), f"{code!r} is not a target language code")
        )
    return problems


def _ttrain_problems(
    ttrain: list[str],
    translation: Any,
    task_type: Any,
    languages: list[tuple[int, Mapping]],
    adapt_codes: set,
) -> list[Problem]:
    names = ", ".join(ttrain)
    problems: list[Problem] = []
    if _get(translation, "enabled", False) is not True:
        problems.append(
            (
                ("translation", "enabled"),
                f"scenarios {names} need translation.enabled: true (or remove them from scenarios)",
            )
        )
    if task_type in TASK_TYPES and task_type not in TRANSLATABLE_TASKS:
        problems.append(
            (
                ("scenarios",),
                f"{names}: translate-train needs labels of whole examples; {task_type} labels "
                "do not survive translation (remove these scenarios)",
            )
        )
    for i, lang in languages:
        if lang.get("role") == "source" and "nllb" in lang and lang["nllb"] is None:
            problems.append(
                (("languages", i, "nllb"), f"{names}: the source language must be in NLLB")
            )
    targets = [lang for _, lang in languages if lang.get("role") == "target"]
    if targets and all(
        lang.get("nllb", "auto") is None and str(lang.get("code")) not in adapt_codes
        for lang in targets
    ):
        problems.append(
            (
                ("scenarios",),
                f"{names}: no target can be translated into (all have nllb: null and no "
                "translation.adapt data)",
            )
        )
    return problems
