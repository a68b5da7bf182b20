"""Length options beyond the model's positions are refused when the engine loads, by name."""

from __future__ import annotations

import json
import shutil

import pytest
from datasets import Dataset, DatasetDict
from typer.testing import CliRunner

from sparsexlt.errors import ConfigError, DataFormatError
from sparsexlt.translation.convert import MANIFEST, TranslatorManifest
from sparsexlt.translation.dataset import translate_dataset
from sparsexlt.translation.engine import CTranslate2Engine
from sparsexlt.translation.options import TranslationOptions


def _options(**kwargs) -> TranslationOptions:
    return TranslationOptions(beam_size=1, threads=1, **kwargs)


def test_options_past_the_model_positions_are_refused_naming_option_value_and_limit(tiny_ct2):
    assert TranslatorManifest.read(tiny_ct2).max_position_embeddings == 256
    with pytest.raises(ConfigError, match=r"max_input_tokens .*: 257 .* limit of 256") as err:
        CTranslate2Engine(tiny_ct2, _options(max_input_tokens=257, max_output_tokens=8))
    assert "max_output_tokens" not in str(err.value)
    with pytest.raises(ConfigError, match=r"max_output_tokens .*: 256 .* limit of 255"):
        CTranslate2Engine(tiny_ct2, _options(max_output_tokens=256))


def test_options_at_the_limit_translate_a_long_input(tiny_ct2):
    """The limits are the real ones: one more token made CTranslate2 fail mid-job."""
    engine = CTranslate2Engine(tiny_ct2, _options(max_input_tokens=256, max_output_tokens=255))
    result = engine.translate([" ".join(["saya"] * 300)], "ind_Latn", "jav_Latn")
    assert result.truncated == [True] and result.texts[0]


def test_a_manifest_without_positions_reads_its_source_config_or_is_not_checked(tiny_ct2, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(tiny_ct2, old)
    data = json.loads((old / MANIFEST).read_text())
    del data["max_position_embeddings"]
    (old / MANIFEST).write_text(json.dumps(data))
    too_long = _options(max_input_tokens=300, max_output_tokens=300)
    with pytest.raises(ConfigError, match=r"max_input_tokens .*: 300 .* limit of 256"):
        CTranslate2Engine(old, too_long)  # the source folder's config.json still says 256
    data["source"] = str(tmp_path / "gone")
    (old / MANIFEST).write_text(json.dumps(data))
    assert CTranslate2Engine(old, too_long).options.max_input_tokens == 300


def test_cli_names_the_option_past_the_limit(tiny_ct2, tmp_path):
    from sparsexlt.cli import app

    Dataset.from_dict({"id": ["0"], "text": ["saya"]}).save_to_disk(str(tmp_path / "src"))
    args = ["translate", "dataset", str(tmp_path / "src"), "--model-dir", str(tiny_ct2)]
    args += ["--src", "ind", "--tgt", "jav", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--max-output-tokens", "1000"])
    assert result.exit_code == 2
    assert "max_output_tokens (--max-output-tokens" in result.output
    assert "1000 is more than the model's limit of 255" in result.output


def test_a_dataset_dict_is_refused_with_the_folders_of_its_splits(tiny_ct2, tmp_path):
    from sparsexlt.cli import app

    splits = {name: Dataset.from_dict({"id": ["0"], "text": ["saya"]}) for name in ("train", "dev")}
    DatasetDict(splits).save_to_disk(str(tmp_path / "dd"))
    result = CliRunner().invoke(
        app,
        ["translate", "dataset", str(tmp_path / "dd"), "--model-dir", str(tiny_ct2), "--src",
         "ind", "--tgt", "jav", "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "DatasetDict with splits train, dev" in result.output
    assert f"SOURCE ({tmp_path / 'dd' / 'train'}, {tmp_path / 'dd' / 'dev'})" in result.output
    assert "nothing to translate" not in result.output
    with pytest.raises(DataFormatError, match="DatasetDict with splits train, dev"):
        translate_dataset(
            DatasetDict(splits),
            model_dir=tiny_ct2,
            src_lang="ind",
            tgt_langs=["jav"],
            cache_dir=tmp_path / "c",
            out_dir=tmp_path / "o",
        )
