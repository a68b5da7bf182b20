"""The whole run: `PipelineConfig`, its cross-block rules and the hashes caches are keyed on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, field_validator, model_validator

from sparsexlt.config._base import ConfigModel, Int, absolute
from sparsexlt.config.base_model import BaseModelConfig
from sparsexlt.config.constants import SCENARIOS, SLUG_PATTERN, Scenario
from sparsexlt.config.cross_checks import Problem, cross_field_problems
from sparsexlt.config.dotted import lookup
from sparsexlt.config.languages import Language
from sparsexlt.config.runtime import EvaluationConfig, ExecutionConfig
from sparsexlt.config.sources import DataSource
from sparsexlt.config.task import TaskConfig
from sparsexlt.config.training import MethodConfig
from sparsexlt.config.translation import TranslationConfig
from sparsexlt.errors import ConfigError
from sparsexlt.util.hashing import hash_json

EXTENSION_PREFIX = "x-"

# Fields that say where things are or how they run, not what is computed: left out of hashes.
_LOCATION_FIELDS = frozenset(
    {"name", "description", "output_dir", "data_dir", "results_db", "execution"}
)


class CrossFieldError(ConfigError):
    """Cross-block problems of an otherwise well-typed config, each with its field path."""

    def __init__(self, located: list[Problem]):
        self.located = located
        super().__init__("PipelineConfig", [f"{'.'.join(map(str, p))}: {m}" for p, m in located])


class PipelineConfig(ConfigModel):
    """Everything one run of the cross-lingual transfer recipe needs.

    Build it with `load_config(path)`, which resolves paths, checks that local files exist and
    reports every problem at once. Built directly (`PipelineConfig(**data)`), relative data
    paths resolve against `data_dir` and file existence is not checked.
    Top-level keys starting with `x-` are ignored: a place for YAML anchors that several entries
    share (`x-few-shot: &few_shot {k: 100}` … `few_shot: *few_shot`), as in docker compose.
    """

    name: str = Field(pattern=SLUG_PATTERN, description="Run name (folder and report names).")
    description: str | None = Field(None, description="Free text for people.")
    seed: Int = Field(42, description="Seed of sampling, initialisation and data order.")
    output_dir: Path = Field(
        Path("runs"),
        validate_default=True,
        description="Where artifacts go; relative to the working directory (outputs land where "
        "the command runs, like `make`'s `runs/`).",
    )
    data_dir: Path = Field(
        Path("."),
        validate_default=True,
        description="Base of relative data paths. In a config file, relative to the file's "
        "folder (so a config works from any directory); from `--set data_dir=...`, relative to "
        "the working directory (as typed in the shell). Default: the config file's folder.",
    )
    results_db: Path | None = Field(
        None,
        description="DuckDB results file; relative to the working directory. Default: "
        "<output_dir>/results.duckdb.",
    )
    base_model: BaseModelConfig = Field(description="The pretrained encoder.")
    task: TaskConfig = Field(description="The labelled task.")
    languages: list[Language] = Field(
        min_length=1, description="Source and target languages with their data."
    )
    methods: list[MethodConfig] = Field(
        default_factory=lambda: [MethodConfig(name="lt-sft")],
        min_length=1,
        description="Methods run through the recipe; default: lt-sft with default settings.",
    )
    scenarios: list[Scenario] = Field(
        default_factory=lambda: list(SCENARIOS),
        min_length=1,
        description="Training mixes for the task step; default: all of " + ", ".join(SCENARIOS),
    )
    translation: TranslationConfig = Field(
        default_factory=TranslationConfig, description="Translate-train settings."
    )
    evaluation: EvaluationConfig = Field(
        default_factory=EvaluationConfig, description="What is scored."
    )
    execution: ExecutionConfig = Field(
        default_factory=ExecutionConfig, description="Where and how parallel it runs."
    )

    _source: Path | None = PrivateAttr(None)
    _overrides: tuple[str, ...] = PrivateAttr(())

    @model_validator(mode="before")
    @classmethod
    def _drop_extension_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not str(k).startswith(EXTENSION_PREFIX)}
        return data

    @field_validator("output_dir", "data_dir", "results_db")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return None if value is None else absolute(value)

    @model_validator(mode="after")
    def _whole(self) -> PipelineConfig:
        located = cross_field_problems(self.model_dump())
        if located:
            raise CrossFieldError(located)
        if self.results_db is None:
            self.results_db = self.output_dir / "results.duckdb"
        for source in self.data_sources():
            if isinstance(source.path, Path) and not source.path.is_absolute():
                source.path = absolute(source.path, self.data_dir)
            if "dedup_against" in source.options:
                files = source.options["dedup_against"]
                source.options["dedup_against"] = [str(absolute(f, self.data_dir)) for f in files]
        return self

    # --- lookups the pipeline needs -------------------------------------------------------

    @property
    def source_path(self) -> Path | None:
        """The config file this was loaded from (None when built directly)."""
        return self._source

    @property
    def overrides(self) -> tuple[str, ...]:
        """The `--set` overrides it was loaded with, as `key=value` strings: with
        `source_path`, what loads the same config again (in a launched training process)."""
        return self._overrides

    @property
    def sources(self) -> list[Language]:
        return [lang for lang in self.languages if lang.role == "source"]

    @property
    def targets(self) -> list[Language]:
        return [lang for lang in self.languages if lang.role == "target"]

    def language(self, code: str) -> Language:
        for lang in self.languages:
            if lang.code == code:
                return lang
        raise KeyError(f"no language {code!r}; have {', '.join(x.code for x in self.languages)}")

    def method(self, key: str) -> MethodConfig:
        for method in self.methods:
            if method.key == key:
                return method
        raise KeyError(f"no method {key!r}; have {', '.join(m.key for m in self.methods)}")

    def data_sources(self) -> list[DataSource]:
        """Every data source named anywhere in the config."""
        found = []
        for lang in self.languages:
            found += [s for s in [lang.unlabelled, *lang.task_data.values()] if s is not None]
        if self.translation.adapt is not None:
            for pair in self.translation.adapt.data.values():
                found += [pair.source, pair.target]
        return found

    # --- hashes -----------------------------------------------------------------------------

    def hash_payload(self) -> dict[str, Any]:
        """What determines the results, as JSON data: no names, locations or execution settings,
        and paths under `data_dir` written relative to it, so the same experiment hashes the same
        on every machine."""
        payload = self.model_dump(mode="json", exclude=set(_LOCATION_FIELDS))
        return _relative_to(payload, str(self.data_dir) + "/")

    def config_hash(self) -> str:
        """sha256 of `hash_payload()` (canonical JSON: key order never matters)."""
        return hash_json(self.hash_payload())

    def experiment_hash(self) -> str:
        """The config hash with the seed left out: runs that differ only in `seed` are one
        experiment, whose seeds the results views average together."""
        payload = self.hash_payload()
        payload.pop("seed", None)
        return hash_json(payload)

    def slice_hash(self, *paths: str) -> str:
        """Hash of some parts only, e.g. `slice_hash("base_model", "languages.jav.unlabelled",
        "methods.lt-sft.language", "seed")`: a cache key that ignores unrelated settings.

        Paths are dotted into `hash_payload()`; list items by index or by code/label/name.
        Note that data *files* enter as paths: combine with `sha256_file` to key on content.
        """
        if not paths:
            raise ValueError("slice_hash needs at least one dotted path")
        payload = self.hash_payload()
        found = [lookup(payload, p) for p in paths]
        return hash_json({".".join(map(str, where)): value for value, where in found})


def _relative_to(value: Any, prefix: str) -> Any:
    if isinstance(value, dict):
        return {k: _relative_to(v, prefix) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative_to(v, prefix) for v in value]
    if isinstance(value, str) and value.startswith(prefix):
        return value[len(prefix) :]
    return value
