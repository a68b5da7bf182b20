"""Translate-train: NLLB through CTranslate2, optionally adapted to languages it lacks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sparsexlt.config._base import ConfigModel, Count, NonNegInt, context, fail
from sparsexlt.config.base_model import check_model_reference
from sparsexlt.config.constants import MethodName
from sparsexlt.config.sources import ParallelSource
from sparsexlt.config.training import TrainingConfig


class MTAdaptConfig(ConfigModel):
    """Fine-tune the translation model on parallel data before translating (unseen languages)."""

    method: MethodName = Field(
        "spiel-ag", description="How the translation model is fine-tuned (as `AdaptConfig`)."
    )
    training: TrainingConfig = Field(
        default_factory=lambda: TrainingConfig(steps=500),
        description="Length and optimizer settings of the adaptation.",
    )
    data: dict[str, ParallelSource] = Field(
        min_length=1,
        description="Parallel text per target language code (keys are `languages[].code` of "
        "targets); only these languages are adapted.",
    )


class TranslationConfig(ConfigModel):
    """How source task data is translated into each target language (ttrain scenarios)."""

    enabled: bool = Field(False, description="Translate at all; the ttrain scenarios need it.")
    model: str = Field(
        "facebook/nllb-200-distilled-600M",
        description="NLLB-200 hub id, local folder (relative to the config file: a Hugging "
        "Face model, or a `sparsexlt translate convert` output, reused as is) or `tiny:`.",
    )
    quantization: Literal["int8", "int8_float16", "float16", "none"] = Field(
        "int8",
        description="CTranslate2 weights; float16 and int8_float16 need a GPU.",
    )
    beam_size: Count = Field(4, description="Beam width (1 = greedy).")
    max_input_length: Count = Field(256, description="Source tokens kept per sentence.")
    max_decoding_length: Count = Field(256, description="Longest translation in tokens.")
    batch_tokens: Count = Field(2048, description="Tokens per translation batch.")
    device: Literal["cpu", "cuda", "auto"] = Field(
        "auto", description="Where CTranslate2 runs; `auto`: cuda when available."
    )
    threads: NonNegInt = Field(0, description="CPU threads for CTranslate2; 0: its default.")
    adapt: MTAdaptConfig | None = Field(
        None, description="Optional adaptation of the translation model with parallel data."
    )

    @field_validator("model")
    @classmethod
    def _check_model(cls, ref: str, info: ValidationInfo) -> str:
        return check_model_reference(ref, context(info))

    @model_validator(mode="after")
    def _gpu_types(self) -> TranslationConfig:
        if self.device == "cpu" and self.quantization in {"float16", "int8_float16"}:
            fail([("quantization", f"{self.quantization!r} needs device cuda (CPU: int8 or none)")])
        return self
