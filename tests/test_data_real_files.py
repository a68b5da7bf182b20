"""Counts on the real benchmark files agree with ../shared/data/README.md."""

from __future__ import annotations

import pytest

from sparsexlt.data import read_with_report
from sparsexlt.data.inspect import inspect_file

pytestmark = pytest.mark.realdata

# (file under shared/data, format, options, examples, tokens or None)
FILES = [
    ("ud/UD_Maltese-MUDT/mt_mudt-ud-train.conllu", "conllu", {}, 1123, 22880),
    ("ud/UD_English-EWT/en_ewt-ud-train.conllu", "conllu", {}, 12544, 204577),
    ("ud/UD_Wolof-WTB/wo_wtb-ud-train.conllu", "conllu-pos", {}, 1188, 23561),
    ("ud/UD_Yoruba-YTB/yo_ytb-ud-test.conllu", "conllu", {}, 318, 8243),
    ("masakhaner/v1/luo/train.txt", "conll-ner", {}, 644, 18577),
    ("masakhaner/v1/hau/dev.txt", "conll-ner", {}, 276, 8301),
    ("smsa/train_preprocess.tsv", "smsa-tsv", {}, 11000, None),
    ("xnli_en/dev-en.tsv", "pair-tsv", {}, 2490, None),
    ("xnli_en/test-en.tsv", "pair-tsv", {"has_labels": False}, 5010, None),
    ("nusax/mt/train.csv", "csv-column", {"column": "javanese"}, 500, None),
]


@pytest.mark.parametrize(("name", "fmt", "options", "examples", "tokens"), FILES)
def test_counts_match_the_data_readme(shared_data, name, fmt, options, examples, tokens):
    result = inspect_file(shared_data / name, fmt, **options)
    assert result.problems == [] and result.warnings == []
    assert result.examples == examples
    if tokens is not None:
        assert result.tokens == tokens


def test_nusax_javanese_train_labels(shared_data):
    result = inspect_file(shared_data / "nusax/sentiment/javanese/train.csv", "nusax-csv")
    assert result.examples == 500
    assert result.labels == {"negative": 192, "neutral": 119, "positive": 189}


def test_label_distributions_of_smsa_and_xnli(shared_data):
    smsa = inspect_file(shared_data / "smsa/train_preprocess.tsv", "smsa-tsv")
    assert smsa.labels == {"negative": 3436, "neutral": 1148, "positive": 6416}
    xnli = inspect_file(shared_data / "xnli_en/dev-en.tsv", "pair-tsv")
    assert xnli.labels == {"contradiction": 830, "entailment": 830, "neutral": 830}


def test_luo_train_starts_with_a_bom_that_is_not_part_of_the_first_token(shared_data):
    path = shared_data / "masakhaner/v1/luo/train.txt"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    ds, _ = read_with_report(path, "conll-ner")
    assert ds[0]["tokens"][0] == "Jii"
    b_tags = sum(tag.startswith("B-") for tags in ds["tags"] for tag in tags)
    assert b_tags == 1250  # entities in the README table


def test_conllu_skips_exactly_the_multiword_lines_and_empty_nodes_of_the_readme(shared_data):
    _, wolof = read_with_report(shared_data / "ud/UD_Wolof-WTB/wo_wtb-ud-train.conllu", "conllu")
    assert wolof.skipped == {"multiword-token lines": 667}
    _, ewt = read_with_report(shared_data / "ud/UD_English-EWT/en_ewt-ud-dev.conllu", "conllu")
    assert ewt.skipped == {"multiword-token lines": 359, "empty nodes": 4}
