"""evaluate()/predict() on a tiny model whose predictions are pinned by hand-set head weights."""

from __future__ import annotations

import pytest
import torch
from datasets import Dataset

from sparsexlt.data import read_dataset
from sparsexlt.errors import DataFormatError
from sparsexlt.evaluation.evaluate import evaluate, score
from sparsexlt.models import build_task_model, load_backbone, load_tokenizer
from sparsexlt.models.predict import predict

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def tokenizer(tiny_encoder_dir):
    return load_tokenizer(tiny_encoder_dir)


def _always(model, attribute: str, label_id: int) -> None:
    """Make the head's output layer predict `label_id` whatever the input."""
    layer = getattr(model.head, attribute)
    with torch.no_grad():
        layer.weight.zero_()
        layer.bias.zero_()
        layer.bias[label_id] = 5.0


def test_classification_metrics_of_a_constant_predictor(tiny_encoder_dir, tokenizer):
    data = Dataset.from_dict(
        {
            "text": ["good film", "bad food", "very good", "bad day", "the house"],
            "label": ["pos", "neg", "pos", "neg", "neu"],
        }
    )
    labels = ["neg", "neu", "pos"]
    model = build_task_model(load_backbone(tiny_encoder_dir), "sequence-classification", 3)
    _always(model, "out_proj", 2)
    model.train()
    result = evaluate(model, data, tokenizer, "sequence-classification", labels, batch_size=2)
    # pos: P=2/5 R=1 F1=4/7; neg, neu: 0
    assert result == {
        "accuracy": pytest.approx(0.4),
        "macro_f1": pytest.approx((4 / 7) / 3),
        "n_examples": 5,
    }
    assert model.training  # restored


def test_entity_tagging_metrics_of_an_all_O_tagger(tiny_encoder_dir, tokenizer):
    data = Dataset.from_dict(
        {
            "tokens": [["Saya", "makan", "di", "rumah"], ["The", "film", "was", "good"]],
            "tags": [["B-PER", "O", "O", "B-LOC"], ["O", "B-MISC", "O", "O"]],
        }
    )
    labels = ["O", "B-PER", "B-LOC", "B-MISC"]
    model = build_task_model(load_backbone(tiny_encoder_dir), "token-classification", 4)
    _always(model, "classifier", 0)
    result = evaluate(model, data, tokenizer, "token-classification", labels)
    assert result["accuracy"] == pytest.approx(5 / 8)
    assert result["f1"] == 0.0 and result["recall"] == 0.0 and result["n_examples"] == 2


def _treebank() -> Dataset:
    return Dataset.from_dict(
        {
            "tokens": [["the", "film", "was"], ["saya", "makan"]],
            "upos": [["DET", "NOUN", "AUX"], ["PRON", "VERB"]],
            "heads": [[0, 1, 1], [2, 0]],
            "deprels": [["root", "obj", "punct"], ["nsubj", "root"]],
        }
    )


def test_parsing_metrics_of_an_untrained_parser(tiny_encoder_dir, tokenizer):
    # Zero-initialised biaffine scorers: every score ties, so the first word is the root, every
    # other word attaches to word 1, and every relation is label 0 ("root").
    labels = ["root", "obj", "punct", "nsubj"]
    model = build_task_model(
        load_backbone(tiny_encoder_dir), "dependency-parsing", 4, arc_dim=8, label_dim=4
    )
    preds = predict(model, _treebank(), tokenizer, "dependency-parsing", labels)
    assert preds[0] == {"heads": [0, 1, 1], "deprels": ["root", "root", "root"]}
    result = evaluate(model, _treebank(), tokenizer, "dependency-parsing", labels)
    # heads right: the/film/was (3); none of saya/makan → 3/5; labels also right: "the" only
    assert result == {"uas": pytest.approx(0.6), "las": pytest.approx(0.2), "n_examples": 2}


def test_pos_tagging_reads_upos_and_reports_accuracy_only(tiny_encoder_dir, tokenizer):
    labels = ["DET", "NOUN", "AUX", "PRON", "VERB"]
    model = build_task_model(load_backbone(tiny_encoder_dir), "token-classification", 5)
    _always(model, "classifier", 1)
    result = evaluate(model, _treebank(), tokenizer, "token-classification", labels)
    assert result == {"accuracy": pytest.approx(1 / 5), "n_examples": 2}


def test_truncated_words_get_fallback_predictions(tiny_encoder_dir, tokenizer):
    data = Dataset.from_dict({"tokens": [["the", "film", "was", "very", "good"]]})
    model = build_task_model(load_backbone(tiny_encoder_dir), "token-classification", 2)
    _always(model, "classifier", 1)
    preds = predict(model, data, tokenizer, "token-classification", ["O", "B-X"], max_length=4)
    assert preds == [["B-X", "B-X", "O", "O", "O"]]  # 2 words fit; the rest fall back to O


def test_predictions_come_back_in_dataset_order(tiny_encoder_dir, tokenizer):
    sentences = [["the"], ["the", "film", "was", "very", "good"], ["bad", "food"], ["el", "agua"]]
    data = Dataset.from_dict({"tokens": sentences})
    model = build_task_model(load_backbone(tiny_encoder_dir), "token-classification", 2)
    preds = predict(model, data, tokenizer, "token-classification", ["O", "B-X"], batch_size=3)
    assert [len(p) for p in preds] == [1, 5, 2, 2]  # batches run longest-first, results do not


def test_unlabelled_data_is_refused_naming_the_file_not_scored_zero(
    tiny_encoder_dir, tokenizer, tmp_path
):
    path = tmp_path / "test-en.tsv"
    path.write_text("A man eats.\tSomeone eats.\nIt rains.\tThe sun shines.\n")
    data = read_dataset(path, "pair-tsv", has_labels=False)  # XNLI test: label None
    labels = ["entailment", "neutral", "contradiction"]
    model = build_task_model(load_backbone(tiny_encoder_dir), "pair-classification", 3)
    with pytest.raises(DataFormatError, match="2 of 2 examples have no gold label") as caught:
        evaluate(model, data, tokenizer, "pair-classification", labels)
    assert caught.value.path == f"{path} (pair-tsv)"
    with pytest.raises(DataFormatError, match="^xnli test: "):
        evaluate(model, data, tokenizer, "pair-classification", labels, name="xnli test")


def test_score_refuses_a_missing_gold_label_or_tag():
    with pytest.raises(DataFormatError, match="1 of 2 examples"):
        score("sequence-classification", ["pos", None], ["pos", "neg"], ["pos", "neg"])
    with pytest.raises(DataFormatError, match="^ner dev: 1 of 1"):
        score("token-classification", [["O", None]], [["O", "O"]], ["O"], source="ner dev")


def test_a_label_list_that_does_not_fit_the_head_is_refused(tiny_encoder_dir, tokenizer):
    from sparsexlt.errors import IncompatibleModelError

    data = Dataset.from_dict({"text": ["good film"], "label": ["pos"]})
    model = build_task_model(load_backbone(tiny_encoder_dir), "sequence-classification", 3)
    with pytest.raises(IncompatibleModelError, match="2 labels given .* head predicts 3"):
        predict(model, data, tokenizer, "sequence-classification", ["neg", "pos"])
