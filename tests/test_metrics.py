"""Metrics on hand-computed cases."""

from __future__ import annotations

import pytest

from sparsexlt.evaluation.metrics import (
    accuracy,
    attachment_scores,
    is_entity_scheme,
    macro_f1,
    seqeval_scores,
    token_accuracy,
)


def test_accuracy():
    assert accuracy(["a", "b", "b", "c"], ["a", "b", "c", "c"]) == 0.75


def test_macro_f1_with_a_class_never_predicted():
    gold = ["a", "a", "b", "c"]
    pred = ["a", "a", "a", "c"]
    # a: P=2/3 R=1 F1=0.8; b: never predicted, F1=0; c: F1=1
    assert macro_f1(gold, pred) == pytest.approx((0.8 + 0.0 + 1.0) / 3)


def test_macro_f1_over_an_explicit_label_set():
    gold = ["pos", "neg", "pos"]
    pred = ["pos", "pos", "pos"]
    # pos: P=2/3 R=1 F1=0.8; neg: 0; neu (in neither): 0
    assert macro_f1(gold, pred) == pytest.approx(0.4)
    assert macro_f1(gold, pred, labels=["pos", "neg", "neu"]) == pytest.approx(0.8 / 3)


def test_macro_f1_agrees_with_scikit_learn_on_a_mixed_case():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")  # cross-check only
    gold = list("aabbbccddde")
    pred = list("abbbcccdaee")
    expected = sklearn_metrics.f1_score(gold, pred, average="macro")
    assert macro_f1(gold, pred) == pytest.approx(expected)


def test_seqeval_entity_scores():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "B-LOC"]]
    # gold entities: PER, LOC, ORG; predicted: PER, ORG, LOC(wrong) → tp=2
    scores = seqeval_scores(gold, pred)
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)
    partial = seqeval_scores([["B-PER", "I-PER"]], [["B-PER", "O"]])  # boundary wrong: no match
    assert partial == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_token_accuracy_is_over_words_not_sentences():
    gold = [["DET", "NOUN", "VERB"], ["PRON"]]
    pred = [["DET", "NOUN", "NOUN"], ["NOUN"]]
    assert token_accuracy(gold, pred) == 0.5


def test_attachment_scores_include_punctuation():
    gold_heads = [[2, 0, 2], [0, 1]]
    gold_rels = [["det", "root", "punct"], ["root", "punct"]]
    pred_heads = [[2, 0, 1], [0, 1]]
    pred_rels = [["det", "nsubj", "punct"], ["root", "obj"]]
    # heads right: 4 of 5 (the first sentence's punct is wrong)
    # heads and labels right: det, root(sentence 2) → 2 of 5
    scores = attachment_scores(gold_heads, gold_rels, pred_heads, pred_rels)
    assert scores == {"uas": pytest.approx(0.8), "las": pytest.approx(0.4)}


def test_las_compares_universal_relations_by_default_like_conll_2018():
    gold_heads, gold_rels = [[2, 0, 2]], [["nsubj:pass", "root", "obl:tmod"]]
    pred_heads, pred_rels = [[2, 0, 2]], [["nsubj", "root", "obl:agent"]]
    # universal parts nsubj / root / obl all agree; as full strings only root does
    assert attachment_scores(gold_heads, gold_rels, pred_heads, pred_rels)["las"] == 1.0
    full = attachment_scores(gold_heads, gold_rels, pred_heads, pred_rels, universal_deprels=False)
    assert full == {"uas": 1.0, "las": pytest.approx(1 / 3)}
    # a wrong universal relation still counts as wrong, and a wrong head still wins
    assert attachment_scores([[2, 0]], [["nsubj", "root"]], [[2, 0]], [["obj:x", "root"]]) == {
        "uas": 1.0,
        "las": 0.5,
    }
    assert attachment_scores([[2, 0]], [["nsubj", "root"]], [[0, 0]], [["nsubj", "root"]]) == {
        "uas": 0.5,
        "las": 0.5,
    }


def test_length_mismatches_are_errors():
    with pytest.raises(ValueError, match="2 gold vs 1"):
        accuracy(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="sentence 1"):
        token_accuracy([["A"], ["B", "C"]], [["A"], ["B"]])
    with pytest.raises(ValueError, match="nothing to score"):
        macro_f1([], [])


def test_entity_scheme_detection():
    assert is_entity_scheme(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])
    assert is_entity_scheme(["O", "S-PER", "E-PER"])
    assert not is_entity_scheme(["NOUN", "VERB", "ADP"])
    assert not is_entity_scheme(["O"])
