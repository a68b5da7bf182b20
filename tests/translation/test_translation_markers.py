"""Marker-based label projection: constructed cases, and through `translate_dataset`."""

from __future__ import annotations

import re

import pytest
from datasets import Dataset, load_from_disk
from translation_helpers import FunctionEngine

from sparsexlt.translation.dataset import read_report, translate_dataset
from sparsexlt.translation.markers import (
    IOB,
    RUNS,
    mark_sentence,
    recover_sentence,
    span_labels,
    spans_of,
    split_words,
    tag_scheme,
)

TOKENS = ["Barack", "Obama", "visited", "Jakarta", "on", "12", "May", "."]
TAGS = ["B-PER", "I-PER", "O", "B-LOC", "O", "B-DATE", "I-DATE", "O"]
LABELS = ["DATE", "LOC", "PER"]
EXPECTED = ["PER", "LOC", "DATE"]


def test_spans_and_markers_carry_the_label_index():
    assert tag_scheme(TAGS) == IOB
    assert span_labels([TAGS], IOB) == LABELS
    assert [(s.start, s.end, s.label) for s in spans_of(TAGS, IOB)] == [
        (0, 2, "PER"),
        (3, 4, "LOC"),
        (5, 7, "DATE"),
    ]
    marked = mark_sentence(TOKENS, TAGS, LABELS, IOB)
    assert marked == "[2 Barack Obama ] visited [1 Jakarta ] on [0 12 May ] ."


def test_identity_translation_recovers_the_source():
    marked = mark_sentence(TOKENS, TAGS, LABELS, IOB)
    assert recover_sentence(marked, EXPECTED, LABELS, IOB) == (TOKENS, TAGS)


def test_reordered_and_reformatted_markers_are_recovered():
    translated = "Pada [0 12 Mei], [ 2 Barack Obama] mengunjungi [1 Jakarta ]."
    tokens, tags = recover_sentence(translated, EXPECTED, LABELS, IOB)
    assert tokens == ["Pada", "12", "Mei", ",", "Barack", "Obama", "mengunjungi", "Jakarta", "."]
    assert tags == ["O", "B-DATE", "I-DATE", "O", "B-PER", "I-PER", "O", "B-LOC", "O"]


@pytest.mark.parametrize(
    "translated",
    [
        "Pada [0 12 Mei, [2 Barack Obama] mengunjungi [1 Jakarta ].",  # unclosed
        "Pada 12 Mei, [2 Barack Obama] mengunjungi [1 Jakarta ].",  # one span lost
        "Pada [0 12 Mei] [2 Barack Obama] [1 Jakarta] [1 Bali]",  # an extra span
        "Pada [0 12 Mei] [2 Barack Obama] [7 Jakarta]",  # unknown label index
        "Pada [0 12 Mei] [2 Barack Obama] [1 ]",  # empty span
        "Pada [0 12 Mei] [1 Barack Obama] [1 Jakarta]",  # labels changed
        "Pada [0 12 Mei] ] [2 Barack Obama] [1 Jakarta]",  # stray bracket
    ],
)
def test_damaged_markers_reject_the_sentence(translated):
    assert recover_sentence(translated, EXPECTED, LABELS, IOB) is None


def test_runs_scheme_for_tags_without_iob_prefixes():
    tags = ["DET", "NOUN", "NOUN", "VERB"]
    assert tag_scheme(tags) == RUNS
    labels = span_labels([tags], RUNS)
    marked = mark_sentence(["the", "dog", "house", "barks"], tags, labels, RUNS)
    assert marked == "[0 the ] [1 dog house ] [2 barks ]"
    assert recover_sentence(marked, ["DET", "NOUN", "VERB"], labels, RUNS) == (
        ["the", "dog", "house", "barks"],
        tags,
    )
    # a word outside every span cannot be tagged: dropped
    assert (
        recover_sentence("[0 the ] [1 dog ] and [2 barks ]", ["DET", "NOUN", "VERB"], labels, RUNS)
        is None
    )


def test_literal_brackets_in_source_cannot_pose_as_markers():
    marked = mark_sentence(["[", "sic", "]", "Obama"], ["O", "O", "O", "B-PER"], ["PER"], IOB)
    assert marked == "( sic ) [0 Obama ]"


def test_iob1_style_inside_tag_starts_a_span():
    spans = spans_of(["I-PER", "I-PER", "I-LOC", "O", "I-LOC"], IOB)
    assert [(s.start, s.end, s.label) for s in spans] == [
        (0, 2, "PER"),
        (2, 3, "LOC"),
        (4, 5, "LOC"),
    ]


def test_split_words_splits_edge_punctuation_only():
    assert split_words('(Jakarta), U.S. "hi"') == [
        "(",
        "Jakarta",
        ")",
        ",",
        "U.S",
        ".",
        '"',
        "hi",
        '"',
    ]


def _drop_second_span(text: str) -> str:
    """A 'translation' that loses the closing marker of any sentence with two or more spans."""
    spans = list(re.finditer(r"\[\d+ [^\]]*\]", text))
    if len(spans) < 2:
        return text.upper()
    second = spans[1]
    return text[: second.end() - 1] + text[second.end() :]


def test_translate_dataset_projects_tags_and_reports_drops(tmp_path):
    dataset = Dataset.from_dict(
        {
            "id": ["a", "b", "c"],
            "tokens": [TOKENS, ["Ani", "tidur", "."], ["tidak", "ada", "nama"]],
            "tags": [TAGS, ["B-PER", "O", "O"], ["O", "O", "O"]],
        }
    )
    paths = translate_dataset(
        dataset,
        engine=FunctionEngine(_drop_second_span),
        src_lang="en",
        tgt_langs=["ind"],
        cache_dir=tmp_path / "cache",
        out_dir=tmp_path / "out",
    )
    out = load_from_disk(str(paths["ind"]))
    assert out["id"] == ["b", "c"]  # "a" lost a marker
    assert out["tokens"] == [["ANI", "TIDUR", "."], ["TIDAK", "ADA", "NAMA"]]
    assert out["tags"] == [["B-PER", "O", "O"], ["O", "O", "O"]]
    assert out.features == dataset.features
    report = read_report(paths["ind"])
    assert (report["examples_in"], report["examples_out"], report["dropped_markers_lost"]) == (
        3,
        2,
        1,
    )
