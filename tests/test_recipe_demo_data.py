"""The demo data generator: deterministic, schema-conform, balanced, related languages."""

from __future__ import annotations

from collections import Counter

from sparsexlt.data.schema import FEATURES
from sparsexlt.recipe import demo_data


def test_same_arguments_give_the_same_examples_and_splits_differ():
    a = demo_data.demo_columns("jav", "train", 50)
    assert a == demo_data.demo_columns("jav", "train", 50)
    test = demo_data.demo_columns("jav", "test", 50)
    assert not set(a["text"]) >= set(test["text"])
    assert demo_data.demo_columns("jav", "train", 50, seed=1) != a


def test_datasets_follow_the_task_schemas():
    labelled = demo_data.demo_dataset("ind", "validation")
    assert labelled.features == FEATURES["sequence-classification"]
    assert len(labelled) == demo_data.SIZES["validation"]
    assert len(set(labelled["id"])) == len(labelled)
    text = demo_data.demo_text("ind", 30)
    assert text.features == FEATURES["text"] and len(text) == 30
    assert all(t.strip() for t in text["text"])


def test_labels_are_balanced_up_to_the_label_noise():
    counts = Counter(demo_data.demo_columns("mad", "train", 300)["label"])
    assert set(counts) == set(demo_data.LABELS)
    assert all(80 <= n <= 120 for n in counts.values())


def test_languages_share_part_of_their_vocabulary():
    def words(code):
        lexicon, _ = demo_data.lexicon(code)
        return {w for ws in lexicon.values() for w in ws}

    ind, jav, mad = words("ind"), words("jav"), words("mad")
    for a, b in [(ind, jav), (ind, mad), (jav, mad)]:
        shared = len(a & b) / len(a)
        assert 0.2 < shared < 0.95  # related, yet different languages
    # within a language, polarity words are distinct, so labels are learnable
    lexicon, _ = demo_data.lexicon("jav")
    assert not set(lexicon["positive"]) & set(lexicon["negative"])


def test_the_label_follows_the_polarity_words():
    lexicon, _ = demo_data.lexicon("ind")
    columns = demo_data.demo_columns("ind", "train", 200)
    agree = 0
    for text, label in zip(columns["text"], columns["label"], strict=True):
        tokens = set(text.lower().strip(".!").split())
        agree += bool(tokens & set(lexicon[label]))
    assert agree / 200 > 0.9  # all but the ~5% flipped labels
