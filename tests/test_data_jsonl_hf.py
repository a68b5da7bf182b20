"""`jsonl` and `hf`: free-form records mapped onto a task schema, with the same checks."""

from __future__ import annotations

import json

import pytest
from datasets import ClassLabel, Dataset, Features, List, Value

from sparsexlt.data import FEATURES, read_dataset, read_with_report
from sparsexlt.errors import ConfigError, DataFormatError


def write_jsonl(path, records):
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n")
    return path


def test_jsonl_maps_fields_and_defaults_ids_to_line_numbers(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [{"sentence": "good", "y": "positive"}, {"sentence": "bad", "y": 0, "id": 42}],
    )
    ds, report = read_with_report(
        path, "jsonl", "sequence-classification", fields={"text": "sentence", "label": "y"}
    )
    assert ds.features == FEATURES["sequence-classification"]
    assert ds.to_dict() == {"id": ["1", "42"], "text": ["good", "bad"], "label": ["positive", "0"]}
    assert report.skipped == {"blank lines": 1}


def test_jsonl_token_level_checks_lengths_and_heads(tmp_path):
    good = {"tokens": ["a", "b"], "upos": ["X", "X"], "heads": [0, 1], "deprels": ["root", "dep"]}
    path = write_jsonl(tmp_path / "d.jsonl", [good, {**good, "heads": [0, 3]}])
    with pytest.raises(DataFormatError, match=r"heads must lie in \[0, 2\]") as caught:
        read_dataset(path, "jsonl", "dependency-parsing")
    assert caught.value.line == 2
    path = write_jsonl(tmp_path / "t.jsonl", [{"tokens": ["a", "b"], "tags": ["O"]}])
    with pytest.raises(DataFormatError, match="list lengths differ"):
        read_dataset(path, "jsonl", "token-classification")


def test_jsonl_and_hf_refuse_a_word_that_is_its_own_head(tmp_path):
    # The conllu reader refuses HEAD == ID; free-form records get the same check.
    good = {"tokens": ["a", "b"], "upos": ["X", "X"], "heads": [2, 0], "deprels": ["dep", "root"]}
    path = write_jsonl(tmp_path / "d.jsonl", [good, {**good, "heads": [1, 0]}])
    with pytest.raises(DataFormatError, match="field 'heads': word 1 is its own head") as caught:
        read_dataset(path, "jsonl", "dependency-parsing")
    assert caught.value.line == 2
    Dataset.from_list([good, {**good, "heads": [2, 2]}]).save_to_disk(tmp_path / "saved")
    with pytest.raises(DataFormatError, match="index 1: field 'heads': word 2 is its own head"):
        read_dataset(tmp_path / "saved", "hf", "dependency-parsing")


def test_jsonl_needs_a_task_type_and_known_field_names(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "x", "label": "y"}])
    with pytest.raises(ConfigError, match="needs one of"):
        read_dataset(path, "jsonl")
    with pytest.raises(ConfigError, match="fields.sentence: not a column"):
        read_dataset(path, "jsonl", "sequence-classification", fields={"sentence": "text"})


def test_hf_reads_a_save_to_disk_folder_decoding_class_labels(tmp_path):
    features = Features(
        {
            "words": List(Value("string")),
            "ner": List(ClassLabel(names=["O", "B-PER", "I-PER"])),
        }
    )
    Dataset.from_dict(
        {"words": [["Ada", "Lovelace", "wrote"]], "ner": [[1, 2, 0]]}, features=features
    ).save_to_disk(tmp_path / "saved")
    ds = read_dataset(
        tmp_path / "saved", "hf", "token-classification", fields={"tokens": "words", "tags": "ner"}
    )
    assert ds.to_dict() == {
        "id": ["0"],
        "tokens": [["Ada", "Lovelace", "wrote"]],
        "tags": [["B-PER", "I-PER", "O"]],
    }


def test_hf_goes_through_load_dataset_offline_and_checks_rows(tmp_path):
    data = write_jsonl(
        tmp_path / "nli.jsonl",
        [
            {"p": "A man.", "h": "A person.", "label": "entailment"},
            {"p": "x", "h": "", "label": "neutral"},
        ],
    )
    options = {
        "data_files": str(data),
        "cache_dir": str(tmp_path / "cache"),
        "fields": {"premise": "p", "hypothesis": "h"},
    }
    with pytest.raises(DataFormatError, match="index 1: field 'h'") as caught:
        read_dataset("json", "hf", "pair-classification", **options)
    assert caught.value.path == "json" and caught.value.line is None
    ok = read_dataset(
        "json", "hf", "pair-classification", **options, labels=None, split="train[:1]"
    )
    assert ok[0] == {
        "id": "0",
        "premise": "A man.",
        "hypothesis": "A person.",
        "label": "entailment",
    }
