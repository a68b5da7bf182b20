"""Pipeline configs: pydantic models of one run of the recipe, validated before anything runs.

`load_config(path, overrides)` is the entry point; `PipelineConfig` the result. The vocabularies
(`DATA_FORMATS`, `METHOD_NAMES`, `SCENARIOS`, ...) are shared with the layers that act on them.
"""

from sparsexlt.config.base_model import BaseModelConfig, resolve_pkg_model
from sparsexlt.config.constants import (
    DATA_FORMATS,
    FEW_SHOT_SCENARIOS,
    FORMATS_BY_TASK,
    METHOD_NAMES,
    METRICS,
    METRICS_BY_TASK,
    SCENARIOS,
    SPARSE_METHODS,
    SPLITS,
    TASK_TYPES,
    TRANSLATE_TRAIN_SCENARIOS,
)
from sparsexlt.config.languages import NLLB_AUTO, FewShot, Language
from sparsexlt.config.loader import load_config
from sparsexlt.config.pipeline import PipelineConfig
from sparsexlt.config.runtime import EvaluationConfig, ExecutionConfig
from sparsexlt.config.sources import DataSource, ParallelSource
from sparsexlt.config.task import TaskConfig
from sparsexlt.config.training import Budget, MethodConfig, TrainingConfig
from sparsexlt.config.translation import MTAdaptConfig, TranslationConfig

__all__ = [
    "DATA_FORMATS",
    "FEW_SHOT_SCENARIOS",
    "FORMATS_BY_TASK",
    "METHOD_NAMES",
    "METRICS",
    "METRICS_BY_TASK",
    "NLLB_AUTO",
    "SCENARIOS",
    "SPARSE_METHODS",
    "SPLITS",
    "TASK_TYPES",
    "TRANSLATE_TRAIN_SCENARIOS",
    "BaseModelConfig",
    "Budget",
    "DataSource",
    "EvaluationConfig",
    "ExecutionConfig",
    "FewShot",
    "Language",
    "MTAdaptConfig",
    "MethodConfig",
    "ParallelSource",
    "PipelineConfig",
    "TaskConfig",
    "TrainingConfig",
    "TranslationConfig",
    "load_config",
    "resolve_pkg_model",
]
