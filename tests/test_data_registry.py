"""Format lookup, option checking, the `labels` option, and few-shot selection."""

from __future__ import annotations

import pytest
from datasets import Dataset

from sparsexlt.data import available_formats, few_shot, read_dataset
from sparsexlt.errors import ConfigError, DataFormatError

EXPECTED_FORMATS = {
    "nusax-csv",
    "smsa-tsv",
    "pair-tsv",
    "conll-ner",
    "conllu",
    "conllu-pos",
    "text",
    "csv-column",
    "jsonl",
    "hf",
}


def test_all_formats_are_registered_with_their_options():
    formats = available_formats()
    assert set(formats) == EXPECTED_FORMATS
    assert "column" in formats["csv-column"].options()
    assert {"header", "columns", "has_labels", "labels"} <= set(formats["pair-tsv"].options())


def test_unknown_format_option_and_task_type_are_config_errors(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("hello\n")
    with pytest.raises(ConfigError, match="unknown 'txt'; known: conll-ner"):
        read_dataset(path, "txt")
    with pytest.raises(ConfigError, match="labels: format 'text' takes no such option"):
        read_dataset(path, "text", labels=["a"])
    with pytest.raises(ConfigError, match="column: required by format 'csv-column'"):
        read_dataset(path, "csv-column")
    with pytest.raises(ConfigError, match="needs one of sequence-classification; got 'text'"):
        read_dataset(path, "smsa-tsv", "text")


def test_labels_option_accepts_known_labels_and_rejects_a_bare_string(tmp_path):
    path = tmp_path / "s.tsv"
    path.write_text("good\tpositive\nbad\tnegative\n")
    assert len(read_dataset(path, "smsa-tsv", labels=["negative", "positive"])) == 2
    with pytest.raises(ConfigError, match="not one string"):
        read_dataset(path, "smsa-tsv", labels="positive")
    with pytest.raises(DataFormatError, match="unknown label 'negative'"):
        read_dataset(path, "smsa-tsv", labels=["positive", "neutral"])


def test_few_shot_first_and_random_are_deterministic_and_checked():
    ds = Dataset.from_dict({"text": [str(i) for i in range(50)]})
    assert few_shot(ds, 3)["text"] == ["0", "1", "2"]
    drawn = few_shot(ds, 5, "random", seed=7)["text"]
    assert drawn == few_shot(ds, 5, "random", seed=7)["text"]
    assert drawn != few_shot(ds, 5, "random", seed=8)["text"]
    assert len(set(drawn)) == 5 and drawn == sorted(drawn, key=int)  # file order kept
    assert len(few_shot(ds, 50, "random")) == 50
    with pytest.raises(ConfigError, match="k: 51 is not between 0 and the 50"):
        few_shot(ds, 51)
    with pytest.raises(ConfigError, match="strategy: unknown 'best'"):
        few_shot(ds, 1, "best")
