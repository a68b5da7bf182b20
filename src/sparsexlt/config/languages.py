"""The languages of a run: one or more sources the task is learnt in, targets it transfers to."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from sparsexlt.config._base import ConfigModel, _reject_bool, fail
from sparsexlt.config.constants import LANGUAGE_CODE_PATTERN, NLLB_CODE_PATTERN, Split
from sparsexlt.config.sources import DataSource

NLLB_AUTO = "auto"


def _parse_shots(value: object) -> object:
    """k is a count ≥ 1 or the word `all` (one clean message instead of one per union member)."""
    _reject_bool(value)
    if value == "all":
        return value
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a count ≥ 1 or `all`, got {value!r}")
    return value


class FewShot(ConfigModel):
    """k labelled target examples added to task training in the few-shot scenarios."""

    k: Annotated[int | Literal["all"], BeforeValidator(_parse_shots)] = Field(
        100,
        description="How many examples (sentences for tagging/parsing) to take from `split`, or "
        "`all`. 100 is about a fifth of a NusaX training set (~33 per class): few, yet enough "
        "that every label occurs.",
    )
    strategy: Literal["first", "random"] = Field(
        "random",
        description="`first`: the first k in file order; `random`: k drawn with the run's seed.",
    )
    split: Split = Field("train", description="Which `task_data` split the examples come from.")
    upsample: Annotated[float, BeforeValidator(_reject_bool), Field(ge=1)] = Field(
        10.0,
        description="Repeat the k examples this many times in the training mix, so the target "
        "language is not drowned by the source data (the fs-no-upsample scenario uses 1).",
    )


class Language(ConfigModel):
    """One language of the run and the data it brings."""

    code: str = Field(
        pattern=LANGUAGE_CODE_PATTERN,
        description="Our code for the language (lower case, e.g. `jav`); used in file names, "
        "result rows and `--set languages.<code>...` overrides.",
    )
    name: str | None = Field(None, description="Human-readable name, for reports.")
    nllb: str | None = Field(
        NLLB_AUTO,
        description="NLLB-200 code such as `jav_Latn`; `null` means NLLB lacks the language "
        "(no translate-train for it unless translation.adapt gives parallel data); `auto` "
        "(the default) looks it up in the translation code table.",
    )
    role: Literal["source", "target"] = Field(
        description="`source`: task data to learn from; `target`: transfer to and evaluate on."
    )
    unlabelled: DataSource | None = Field(
        None,
        description="Plain text for the language SFT (masked-LM). Any format: labelled readers "
        "contribute their text (`text`, or `tokens` joined by spaces). Absent: no language SFT "
        "is trained for this language and none is applied.",
    )
    task_data: dict[Split, DataSource] = Field(
        default_factory=dict,
        description="Labelled task data by split (`train`, `validation`, `test`).",
    )
    few_shot: FewShot | None = Field(
        None,
        description="Targets only: take few-shot training examples from this language's task "
        "data (used by the fs-* scenarios).",
    )

    @field_validator("nllb")
    @classmethod
    def _nllb_shape(cls, value: str | None) -> str | None:
        if value not in (None, NLLB_AUTO) and not re.match(NLLB_CODE_PATTERN, value):
            raise ValueError(
                f"{value!r} is not an NLLB-200 code like 'jav_Latn' (use null when NLLB lacks "
                "the language, or leave it out to look it up)"
            )
        return value

    @model_validator(mode="after")
    def _check(self) -> Language:
        problems = []
        if self.role == "source" and "train" not in self.task_data:
            problems.append(("task_data", "a source language needs task_data.train"))
        if self.few_shot is not None:
            if self.role != "target":
                problems.append(("few_shot", "few-shot data is only for target languages"))
            elif self.few_shot.split not in self.task_data:
                split = self.few_shot.split
                problems.append(("few_shot.split", f"{split!r} but task_data has no {split!r}"))
        if problems:
            fail(problems)
        return self

    @property
    def translatable_by_nllb(self) -> bool:
        """False when the config says NLLB lacks this language (`nllb: null`)."""
        return self.nllb is not None
