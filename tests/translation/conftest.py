"""Shared fixtures of the translation tests: one tiny NLLB per session, converted once."""

from __future__ import annotations

from pathlib import Path

import pytest
from translation_helpers import CORPUS

from sparsexlt.models.tiny_translator import build_tiny_translator
from sparsexlt.translation.convert import convert_model
from sparsexlt.translation.engine import CTranslate2Engine
from sparsexlt.translation.options import TranslationOptions

# Greedy, short outputs: a random model never stops early, so the cap sets the cost.
FAST = TranslationOptions(beam_size=1, max_output_tokens=8, chunk_size=4, threads=1)


@pytest.fixture(autouse=True)
def one_torch_thread(torch_one_thread):
    """Every translation test on one torch thread (`torch_one_thread`, restored afterwards):
    tiny matrices gain nothing from threads, and on a busy 2-core machine extra threads
    spin-wait: 1 thread made the adaptation test ~6x faster there."""


@pytest.fixture(scope="session")
def tiny_nllb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random NLLB-style Hugging Face folder with codes ind_Latn, jav_Latn, eng_Latn."""
    return build_tiny_translator(tmp_path_factory.mktemp("tiny-nllb") / "hf", CORPUS, seed=0)


@pytest.fixture(scope="session")
def tiny_ct2(tiny_nllb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Its float32 CTranslate2 conversion (float32, so outputs equal `transformers`)."""
    return convert_model(tiny_nllb, tmp_path_factory.mktemp("ct2") / "none", quantization="none")


@pytest.fixture(scope="session")
def engine(tiny_ct2: Path) -> CTranslate2Engine:
    return CTranslate2Engine(tiny_ct2, FAST)
