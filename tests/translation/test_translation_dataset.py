"""translate_dataset: pairs keep alignment and labels, the cache, resume after SIGKILL, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from datasets import Dataset, load_from_disk
from translation_helpers import CountingEngine
from typer.testing import CliRunner

from sparsexlt.errors import DataFormatError, UnknownLanguageError, UnsupportedLanguageError
from sparsexlt.translation.cache import TranslationCache
from sparsexlt.translation.dataset import read_report, translate_dataset

PAIRS = Dataset.from_dict(
    {
        "id": ["p1", "p2", "p3", "p4"],
        "premise": [
            "saya suka makan nasi",
            "dia pergi ke pasar",
            "saya suka makan nasi",
            "buku itu bagus",
        ],
        "hypothesis": ["dia pergi ke pasar", "buku itu murah", "hotel ini buruk", ""],
        "label": ["entailment", "neutral", "contradiction", "neutral"],
    }
)


def _run(engine, tmp_path, out="out", data=PAIRS, tgts=("jav",), **kwargs):
    return translate_dataset(
        data,
        engine=engine,
        src_lang="ind",
        tgt_langs=list(tgts),
        cache_dir=tmp_path / "cache",
        out_dir=tmp_path / out,
        **kwargs,
    )


def test_pairs_keep_ids_labels_and_alignment(engine, tmp_path):
    counting = CountingEngine(engine)
    paths = _run(counting, tmp_path, tgts=["jav", "english"])
    assert set(paths) == {"jav", "english"}
    out = load_from_disk(str(paths["jav"]))
    assert out.features == PAIRS.features
    assert out["id"] == PAIRS["id"] and out["label"] == PAIRS["label"]
    direct = dict(
        zip(
            PAIRS["premise"],
            engine.translate(PAIRS["premise"], "ind_Latn", "jav_Latn").texts,
            strict=True,
        )
    )
    assert out["premise"] == [direct[p] for p in PAIRS["premise"]]
    assert out["hypothesis"][3] == ""  # empty stays empty, untranslated
    assert out["hypothesis"][0] == out["premise"][1]  # same text, same translation
    # 5 distinct non-empty texts per target, each sent to the engine exactly once
    assert len(counting.texts) == 10 and len(set(counting.texts)) == 5
    report = read_report(paths["jav"])
    assert (
        report["segments"],
        report["unique"],
        report["empty"],
        report["translated"],
        report["cache_hits"],
        report["tgt_code"],
    ) == (8, 5, 1, 5, 0, "jav_Latn")


def test_rerun_translates_nothing_twice(engine, tmp_path):
    _run(CountingEngine(engine), tmp_path, out="first")
    again = CountingEngine(engine)
    paths = _run(again, tmp_path, out="second")  # new output folder: served by the cache
    assert again.texts == []
    report = read_report(paths["jav"])
    assert (report["cache_hits"], report["translated"]) == (5, 0)
    assert (
        load_from_disk(str(paths["jav"]))["premise"]
        == load_from_disk(str(tmp_path / "first" / "jav"))["premise"]
    )
    # the same output folder again: the finished job is returned without any work
    mtime = (paths["jav"] / "report.json").stat().st_mtime_ns
    _run(again, tmp_path, out="second")
    assert (paths["jav"] / "report.json").stat().st_mtime_ns == mtime


RESUME_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    from datasets import Dataset
    from sparsexlt.translation import CTranslate2Engine, TranslationOptions, translate_dataset

    model_dir, cache_dir, out_dir = sys.argv[1:4]
    options = TranslationOptions(beam_size=1, max_output_tokens=8, chunk_size=5)
    inner = CTranslate2Engine(model_dir, options)

    class DiesOnThirdChunk:
        key, fingerprint, language_codes = inner.key, inner.fingerprint, inner.language_codes
        calls = 0

        def translate(self, texts, src, tgt):
            type(self).calls += 1
            if self.calls == 3:
                os.kill(os.getpid(), signal.SIGKILL)  # killed mid-chunk
            return inner.translate(texts, src, tgt)

    texts = [f"saya suka makan nasi goreng nomor {i}" for i in range(30)]
    data = Dataset.from_dict({"id": [str(i) for i in range(30)], "text": texts,
                              "label": ["positive"] * 30})
    translate_dataset(data, engine=DiesOnThirdChunk(), src_lang="ind", tgt_langs=["jav"],
                      options=options, cache_dir=cache_dir, out_dir=out_dir)
    """
)


@pytest.mark.slow  # a fresh interpreter imports torch etc.: 5 s idle, ~30 s on shared cores
def test_resume_after_sigkill_translates_only_the_rest(tiny_ct2, engine, tmp_path):
    env = {**os.environ, "SPARSEXLT_QUIET": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            RESUME_SCRIPT,
            str(tiny_ct2),
            str(tmp_path / "cache"),
            str(tmp_path / "out"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert not (tmp_path / "out" / "jav").exists()  # no half-written output
    with TranslationCache(tmp_path / "cache") as cache:
        assert len(cache) == 10  # the two finished chunks survived the kill
    texts = [f"saya suka makan nasi goreng nomor {i}" for i in range(30)]
    data = Dataset.from_dict(
        {"id": [str(i) for i in range(30)], "text": texts, "label": ["positive"] * 30}
    )
    rerun = CountingEngine(engine)
    paths = translate_dataset(
        data,
        engine=rerun,
        src_lang="ind",
        tgt_langs=["jav"],
        cache_dir=tmp_path / "cache",
        out_dir=tmp_path / "out",
    )
    assert len(rerun.texts) == 20 and set(rerun.texts) <= set(texts)
    report = read_report(paths["jav"])
    assert (report["cache_hits"], report["translated"], report["examples_out"]) == (10, 20, 30)


def test_truncations_are_counted_in_the_report(tiny_ct2, tmp_path):
    from sparsexlt.translation import CTranslate2Engine, TranslationOptions

    options = TranslationOptions(beam_size=1, max_output_tokens=4, max_input_tokens=5)
    paths = translate_dataset(
        PAIRS,
        model_dir=tiny_ct2,
        src_lang="ind",
        tgt_langs=["jav"],
        options=options,
        cache_dir=tmp_path / "c",
        out_dir=tmp_path / "o",
    )
    engine = CTranslate2Engine(tiny_ct2, options)
    distinct = sorted({t for t in [*PAIRS["premise"], *PAIRS["hypothesis"]] if t})
    expected = sum(engine.tokenize(distinct, "ind_Latn")[1])
    assert 0 < expected < len(distinct)
    assert read_report(paths["jav"])["truncated"] == expected


def test_unsupported_and_unknown_targets(engine, tmp_path):
    with pytest.raises(UnsupportedLanguageError, match="Madurese"):
        _run(engine, tmp_path, tgts=["jav", "mad"])
    with pytest.raises(UnsupportedLanguageError, match="not in this translation model"):
        _run(engine, tmp_path, tgts=["sun"])
    with pytest.raises(UnknownLanguageError, match="javanese"):
        _run(engine, tmp_path, tgts=["javanes"])
    paths = _run(engine, tmp_path, tgts=["jav", "mad", "sun"], skip_unsupported=True)
    assert set(paths) == {"jav"}


def test_dataset_without_translatable_columns_is_refused(engine, tmp_path):
    data = Dataset.from_dict(
        {"id": ["1"], "tokens": [["a"]], "upos": [["X"]], "heads": [[0]], "deprels": [["root"]]}
    )
    with pytest.raises(DataFormatError, match="dependency trees"):
        _run(engine, tmp_path, data=data)
    with pytest.raises(DataFormatError, match="nothing to translate"):
        _run(engine, tmp_path, data=Dataset.from_dict({"id": ["1"], "label": ["x"]}))


def test_cli_translates_a_saved_dataset(tiny_ct2, tmp_path):
    from sparsexlt.cli import app

    PAIRS.save_to_disk(str(tmp_path / "src"))
    result = CliRunner().invoke(
        app,
        [
            "--quiet",
            "translate",
            "dataset",
            str(tmp_path / "src"),
            "--model-dir",
            str(tiny_ct2),
            "--src",
            "indonesian",
            "--tgt",
            "jav",
            "--tgt",
            "toba_batak",
            "--skip-unsupported",
            "--out",
            str(tmp_path / "out"),
            "--beam-size",
            "2",
            "--max-output-tokens",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    paths = json.loads(result.output.strip().splitlines()[-1])
    assert list(paths) == ["jav"]
    assert load_from_disk(paths["jav"])["id"] == PAIRS["id"]
    assert (tmp_path / "out" / ".cache" / "translations.sqlite").is_file()
    bad = CliRunner().invoke(app, ["translate", "languages", "jav", "javanes"])
    assert bad.exit_code == 1 and "jav_Latn" in bad.output and "did you mean" in bad.output
