"""Removing evaluation texts from training data: the normalisation, near matches, real SmSA."""

from __future__ import annotations

import pytest
from datasets import Dataset

from sparsexlt.data import dedup_against, normalize, read_with_report
from sparsexlt.data.dedup import EXACT_REASON, near_reason, texts_of, token_set


def test_normalize_ignores_case_punctuation_and_spacing_but_not_letters():
    assert normalize("Harga cukup terjangkau.") == normalize("harga cukup terjangkau .")
    assert normalize("pecah-pecah!") == normalize("Pecah - pecah")
    assert normalize("Ça coûte 12€") == "çacoûte12"
    assert normalize("harga cukup") != normalize("harga cukupp")
    assert token_set("A-b a") == frozenset({"a", "b"})


def test_dedup_against_exact_and_near_with_any_schema():
    train = Dataset.from_dict(
        {
            "id": ["1", "2", "3", "4"],
            "text": ["The food was GREAT!", "!!!", "the food was great and cheap", "other"],
            "label": ["p", "n", "p", "n"],
        }
    )
    refs = [["the food was great"], Dataset.from_dict({"text": ["???"]})]
    exact = dedup_against(train, refs)
    assert (exact.exact, exact.near, exact.dataset["id"]) == (1, 0, ["2", "3", "4"])
    near = dedup_against(train, refs, near_jaccard=0.6)  # 4 of 6 tokens shared: 0.67
    assert (near.exact, near.near, near.dataset["id"]) == (1, 1, ["2", "4"])
    tokens = Dataset.from_dict({"id": ["a"], "tokens": [["The", "food"]], "tags": [["O", "O"]]})
    assert texts_of(tokens) == ["The food"]
    assert dedup_against(tokens, [["the food"]]).dropped == 1
    with pytest.raises(ValueError, match="near_jaccard"):
        dedup_against(train, refs, near_jaccard=0)


def test_read_option_dedup_against_reports_the_drop(tmp_path):
    train = tmp_path / "train.tsv"
    train.write_text("a nice place .\tpositive\nawful\tnegative\n")
    test = tmp_path / "test.csv"
    test.write_text("id,text,label\n1,A nice place.,positive\n")
    ds, report = read_with_report(train, "smsa-tsv", dedup_against=[test])
    assert ds["text"] == ["awful"]
    assert report.dropped == {EXACT_REASON: 1} and report.examples == 1
    as_mapping = [{"path": test, "format": "nusax-csv", "options": {"labels": ["positive"]}}]
    assert len(read_with_report(train, "smsa-tsv", dedup_against=as_mapping)[0]) == 1


def test_smsa_train_deduplicated_against_nusax_indonesian_test(shared_data):
    """FIELD-NOTES: 219 of 400 NusaX ind test sentences occur in SmSA (217 in train)."""
    nusax_test = shared_data / "nusax/sentiment/indonesian/test.csv"
    smsa = shared_data / "smsa/train_preprocess.tsv"
    ds, report = read_with_report(
        smsa, "smsa-tsv", dedup_against=[nusax_test], dedup_near_jaccard=0.7
    )
    # 219 SmSA train rows match 217 distinct NusaX test sentences (two occur twice in SmSA);
    # 88 more rows are near-duplicates (of the 83 further NusaX sentences the README counts).
    assert report.dropped == {EXACT_REASON: 219, near_reason(0.7): 88}
    assert report.examples == len(ds) == 11_000 - 219 - 88
    nusax_texts = read_with_report(nusax_test, "nusax-csv")[0]["text"]
    kept = {normalize(t) for t in ds["text"]}
    assert not any(normalize(t) in kept for t in nusax_texts)


def test_dedup_across_all_smsa_splits_finds_the_219_overlapping_nusax_sentences(shared_data):
    nusax = read_with_report(shared_data / "nusax/sentiment/indonesian/test.csv", "nusax-csv")[0]
    smsa_texts = [
        t
        for split in ("train", "valid", "test")
        for t in read_with_report(shared_data / f"smsa/{split}_preprocess.tsv", "smsa-tsv")[0][
            "text"
        ]
    ]
    result = dedup_against(nusax, [smsa_texts])
    assert result.exact == 219
