"""Marker-based label projection: constructed cases, and through `translate_dataset`."""

from __future__ import annotations

import re

import pytest
from datasets import Dataset, load_from_disk
from translation_helpers import FunctionEngine

from sparsexlt.translation.dataset import read_report, translate_dataset
from sparsexlt.translation.markers import (
    BILOU,
    IOB,
    IOBES,
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


@pytest.mark.parametrize(
    ("tags", "scheme"),
    [
        (["B-PER", "E-PER", "O", "S-LOC"], IOBES),
        (["B-PER", "L-PER", "O", "U-LOC"], BILOU),
        (["B-PER", "I-PER", "O", "B-LOC"], IOB),
        (["B-PER", "E-PER", "O", "U-LOC"], RUNS),  # both families: no scheme to write back
    ],
)
def test_iobes_and_bilou_tags_are_entity_schemes(tags, scheme):
    assert tag_scheme(tags) == scheme


def test_iobes_and_bilou_spans_end_on_e_l_and_s_u():
    iobes = ["B-PER", "I-PER", "E-PER", "S-LOC", "S-LOC", "O", "B-ORG", "E-ORG"]
    spans = [(s.start, s.end, s.label) for s in spans_of(iobes, IOBES)]
    assert spans == [(0, 3, "PER"), (3, 4, "LOC"), (4, 5, "LOC"), (6, 8, "ORG")]
    bilou = [t.replace("E-", "L-").replace("S-", "U-") for t in iobes]
    assert [(s.start, s.end, s.label) for s in spans_of(bilou, BILOU)] == spans


@pytest.mark.parametrize(
    ("scheme", "tags"),
    [
        (IOBES, ["B-PER", "E-PER", "O", "S-LOC", "O", "B-DATE", "I-DATE", "E-DATE"]),
        (BILOU, ["B-PER", "L-PER", "O", "U-LOC", "O", "B-DATE", "I-DATE", "L-DATE"]),
    ],
)
def test_iobes_and_bilou_survive_and_are_written_back_in_their_scheme(scheme, tags):
    tokens = ["Barack", "Obama", "visited", "Jakarta", "on", "12", "May", "2020"]
    labels = span_labels([tags], scheme)
    marked = mark_sentence(tokens, tags, labels, scheme)
    assert marked == "[2 Barack Obama ] visited [1 Jakarta ] on [0 12 May 2020 ]"
    # sentences with O words are kept (they were dropped as 'runs' before)
    assert recover_sentence(marked, ["PER", "LOC", "DATE"], labels, scheme) == (tokens, tags)
    translated = "[1 Kota Jakarta ] dikunjungi [2 Obama ] pada [0 Mei ]"
    single, last = ("S-", "E-") if scheme == IOBES else ("U-", "L-")
    assert recover_sentence(translated, ["PER", "LOC", "DATE"], labels, scheme)[1] == [
        "B-LOC", f"{last}LOC", "O", f"{single}PER", "O", f"{single}DATE",
    ]  # fmt: skip


def test_translate_dataset_keeps_iobes_sentences_with_outside_words(tmp_path):
    dataset = Dataset.from_dict(
        {
            "id": ["0", "1"],
            "tokens": [["Barack", "Obama", "visited", "Jakarta"], ["Jakarta", "Raya"]],
            "tags": [["B-PER", "E-PER", "O", "S-LOC"], ["B-LOC", "E-LOC"]],
        }
    )
    paths = translate_dataset(
        dataset,
        engine=FunctionEngine(lambda s: s),
        src_lang="ind",
        tgt_langs=["jav"],
        cache_dir=tmp_path / "c",
        out_dir=tmp_path / "o",
    )
    out = load_from_disk(str(paths["jav"]))
    assert (out["tokens"], out["tags"]) == (dataset["tokens"], dataset["tags"])
    assert read_report(paths["jav"])["dropped_markers_lost"] == 0


def test_words_inside_a_span_keep_their_punctuation():
    tags = ["B-PER", "I-PER", "O", "B-LOC", "O"]
    tokens = ["M.", "Obama", "visited", "U.S.", "."]
    labels = span_labels([tags], IOB)
    marked = mark_sentence(tokens, tags, labels, IOB)
    assert recover_sentence(marked, ["PER", "LOC"], labels, IOB) == (tokens, tags)
    # the translation glued punctuation to the span's last word: the word keeps it (and the
    # label); outside the spans, edge punctuation is still split off
    translated = "[1 M. Obama ] mengunjungi [0 U.S. ] kemarin."
    assert recover_sentence(translated, ["PER", "LOC"], labels, IOB) == (
        ["M.", "Obama", "mengunjungi", "U.S.", "kemarin", "."],
        ["B-PER", "I-PER", "O", "B-LOC", "O", "O"],
    )
    pos = ["PROPN", "PROPN", "VERB"]
    pos_labels = span_labels([pos], RUNS)
    pos_marked = mark_sentence(["M.", "Smith", "said"], pos, pos_labels, RUNS)
    assert recover_sentence(pos_marked, ["PROPN", "VERB"], pos_labels, RUNS) == (
        ["M.", "Smith", "said"],
        pos,
    )


def _identity_rows(dataset, tmp_path, src="ind", tgt="jav"):
    paths = translate_dataset(
        dataset,
        engine=FunctionEngine(lambda s: s),
        src_lang=src,
        tgt_langs=[tgt],
        cache_dir=tmp_path / "c",
        out_dir=tmp_path / "o",
    )
    out = load_from_disk(str(paths[tgt]))
    return {r["id"]: r for r in dataset}, list(out)


def test_identity_translation_of_real_ner_and_pos_data_keeps_every_label(shared_data, tmp_path):
    from sparsexlt.data import read_dataset

    ner = read_dataset(
        shared_data / "masakhaner" / "v1" / "swa" / "dev.txt", "conll-ner", "token-classification"
    )
    source, out = _identity_rows(ner, tmp_path / "ner")
    assert len(out) == len(ner)
    for row in out:  # entity words come back exactly (no "U.S" + "." I-LOC)
        src = source[row["id"]]
        entities = [(t, g) for t, g in zip(src["tokens"], src["tags"], strict=True) if g != "O"]
        assert [(t, g) for t, g in zip(row["tokens"], row["tags"], strict=True) if g != "O"] == (
            entities
        )
    pos = read_dataset(
        shared_data / "ud" / "UD_English-EWT" / "en_ewt-ud-dev.conllu",
        "conllu-pos",
        "token-classification",
    ).select(range(300))
    source, out = _identity_rows(pos, tmp_path / "pos", "eng", "ind")
    assert len(out) == len(pos)
    for row in out:  # every word comes back with its tag; brackets become parentheses
        src = source[row["id"]]
        clean = [t.replace("[", "(").replace("]", ")") for t in src["tokens"]]
        assert (row["tokens"], row["tags"]) == (clean, src["tags"])
