"""The task: what is predicted, from which label set, scored by which metric."""

from __future__ import annotations

from pydantic import Field, model_validator

from sparsexlt.config._base import ConfigModel, fail
from sparsexlt.config.constants import METRICS_BY_TASK, Metric, TaskType


class TaskConfig(ConfigModel):
    """The labelled task every language shares."""

    name: str = Field(min_length=1, description="Task name as it appears in result rows.")
    type: TaskType = Field(
        description="sequence-classification, pair-classification, token-classification "
        "(NER, POS tagging) or dependency-parsing."
    )
    labels: list[str] | None = Field(
        None,
        description="The label set, in the order that maps labels to ids. Required except for "
        "dependency-parsing, whose deprel set is inferred from the source training data when "
        "absent.",
    )
    metric: Metric = Field(
        description="Primary metric (used for model selection and summaries); allowed per type: "
        + "; ".join(f"{t}: {', '.join(m)}" for t, m in METRICS_BY_TASK.items())
        + "."
    )
    extra_metrics: list[Metric] = Field(
        default_factory=list, description="Further metrics to compute and store next to it."
    )

    @model_validator(mode="after")
    def _check(self) -> TaskConfig:
        problems = self._label_problems() + self._metric_problems()
        if problems:
            fail(problems)
        return self

    def _label_problems(self) -> list[tuple[str, str]]:
        if self.labels is None:
            if self.type != "dependency-parsing":
                return [("labels", f"required for task type {self.type!r}")]
            return []
        problems = []
        if len(self.labels) < 2 and self.type != "dependency-parsing":
            problems.append("need at least two labels")
        duplicates = sorted({x for x in self.labels if self.labels.count(x) > 1})
        if duplicates:
            problems.append(f"repeated {', '.join(map(repr, duplicates))}")
        if "" in self.labels:
            problems.append("empty label")
        if self.metric == "seqeval_f1" or "seqeval_f1" in self.extra_metrics:
            problems += _iob2_problems(self.labels)
        return [("labels", p) for p in problems]

    def _metric_problems(self) -> list[tuple[str, str]]:
        allowed = ", ".join(METRICS_BY_TASK[self.type])
        problems = []
        if self.metric not in METRICS_BY_TASK[self.type]:
            problems.append(
                ("metric", f"{self.metric!r} does not apply to {self.type}; use {allowed}")
            )
        for i, m in enumerate(self.extra_metrics):
            if m not in METRICS_BY_TASK[self.type]:
                problems.append((f"extra_metrics.{i}", f"{m!r} does not apply to {self.type}"))
        return problems

    @property
    def metrics(self) -> list[str]:
        """Primary metric first, then the extra ones (no repeats)."""
        return list(dict.fromkeys([self.metric, *self.extra_metrics]))


def _iob2_problems(labels: list[str]) -> list[str]:
    """seqeval scores entity spans: labels must be `O` plus B-X/I-X pairs."""
    if "O" not in labels:
        return ["seqeval_f1 needs the outside tag 'O'"]
    bad = [x for x in labels if x != "O" and not x.startswith(("B-", "I-"))]
    if bad:
        return [f"not IOB2 tags (O, B-X, I-X): {', '.join(map(repr, bad))}"]
    begins = {x[2:] for x in labels if x.startswith("B-")}
    insides = {x[2:] for x in labels if x.startswith("I-")}
    unpaired = sorted(begins ^ insides)
    if unpaired:
        return [f"entity types without both B- and I- tags: {', '.join(unpaired)}"]
    return []
