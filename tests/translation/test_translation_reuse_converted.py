"""A config may name a folder `sparsexlt translate convert` wrote: the pipeline reuses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sparsexlt.config import load_config
from sparsexlt.errors import ConfigError
from sparsexlt.recipe import artifacts
from sparsexlt.recipe.plan import TranslatorJob
from sparsexlt.recipe.translate import CT2_DIR, prepare_translator
from sparsexlt.recipe.validate import preflight
from sparsexlt.translation.manifest import converted_manifest

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def _job(model: Path, quantization: str) -> TranslatorJob:
    return TranslatorJob(str(model), quantization, ("ind_Latn",), (), "f" * 64)


def test_a_converted_folder_is_linked_into_the_artifact_not_converted_again(
    tiny_nllb: Path, tiny_ct2: Path, tmp_path: Path
):
    assert converted_manifest(tiny_nllb) is None  # a Hugging Face folder is converted as before
    ref = prepare_translator(_job(tiny_ct2, "none"), tmp_path)
    reused = Path(ref.path) / CT2_DIR
    assert converted_manifest(reused).fingerprint == converted_manifest(tiny_ct2).fingerprint
    same = (reused / "model.bin").stat().st_ino == (tiny_ct2 / "model.bin").stat().st_ino
    assert same or (reused / "model.bin").read_bytes() == (tiny_ct2 / "model.bin").read_bytes()
    assert ref.info["converted_from"] == str(tiny_nllb)


def test_a_quantization_the_conversion_lacks_is_refused(tiny_ct2: Path, tmp_path: Path):
    with pytest.raises(ValueError, match="converted with quantization 'none'"):
        prepare_translator(_job(tiny_ct2, "int8"), tmp_path)
    assert artifacts.find(tmp_path, "translator", "f" * 64) is None  # nothing half-written


def test_preflight_names_the_mismatch_and_the_adaptation_it_cannot_do(tiny_ct2: Path):
    config = load_config(
        DEMO,
        [
            f"translation.model={tiny_ct2}",
            "translation.adapt.data.mad.source.format=demo",
            "translation.adapt.data.mad.target.format=demo",
        ],
    )
    with pytest.raises(ConfigError) as err:
        preflight(config)
    problems = "\n".join(err.value.problems)
    assert "was converted with 'none'" in problems and "set quantization: none" in problems
    assert "translation.adapt fine-tunes the Hugging Face model" in problems
