"""Evaluation metrics, each a plain function of gold and predicted labels.

- `accuracy`: fraction of equal pairs.
- `macro_f1`: unweighted mean of per-class F1 over the classes in `labels` (default: every class
  seen in gold or predictions, like scikit-learn's default); a class never predicted has
  precision 0 (0/0 counts as 0) and so F1 0.
- `seqeval_scores`: entity-level precision/recall/F1 of BIO/IOBES tag sequences (the `seqeval`
  package in its default, conlleval-compatible mode).
- `token_accuracy`: accuracy over all words of all sentences (UPOS accuracy).
- `attachment_scores`: UAS (correct head) and LAS (correct head and relation) over all words,
  punctuation INCLUDED. As in the CoNLL 2018 shared task's official scorer, relations compare by
  their universal part only (`nsubj:pass` counts as `nsubj`): a parser trained on one treebank
  (EWT) cannot predict subtypes another treebank uses, so full-string LAS would count those
  words as certain misses. `universal_deprels=False` compares full strings instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


def _check(gold: Sequence, pred: Sequence, what: str) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"{what}: {len(gold)} gold vs {len(pred)} predicted items")
    if not gold:
        raise ValueError(f"{what}: nothing to score")


def accuracy(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    _check(gold, pred, "accuracy")
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def macro_f1(
    gold: Sequence[Hashable], pred: Sequence[Hashable], labels: Sequence[Hashable] | None = None
) -> float:
    _check(gold, pred, "macro_f1")
    classes = list(labels) if labels is not None else sorted(set(gold) | set(pred), key=str)
    scores = []
    for c in classes:
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        predicted = sum(p == c for p in pred)
        actual = sum(g == c for g in gold)
        precision, recall = _ratio(tp, predicted), _ratio(tp, actual)
        scores.append(_ratio(2 * precision * recall, precision + recall))
    return sum(scores) / len(scores)


def _check_sequences(gold: Sequence[Sequence], pred: Sequence[Sequence], what: str) -> None:
    _check(gold, pred, what)
    for i, (g, p) in enumerate(zip(gold, pred, strict=True)):
        if len(g) != len(p):
            raise ValueError(f"{what}: sentence {i} has {len(g)} gold vs {len(p)} predicted words")


def token_accuracy(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]) -> float:
    _check_sequences(gold, pred, "token_accuracy")
    flat_gold = [t for sentence in gold for t in sentence]
    flat_pred = [t for sentence in pred for t in sentence]
    return accuracy(flat_gold, flat_pred)


def seqeval_scores(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]]
) -> dict[str, float]:
    """Entity-level {"precision", "recall", "f1"} (0.0 where undefined)."""
    from seqeval.metrics import f1_score, precision_score, recall_score

    _check_sequences(gold, pred, "seqeval")
    g, p = [list(s) for s in gold], [list(s) for s in pred]
    return {
        "precision": float(precision_score(g, p, zero_division=0)),
        "recall": float(recall_score(g, p, zero_division=0)),
        "f1": float(f1_score(g, p, zero_division=0)),
    }


def is_entity_scheme(labels: Sequence[str]) -> bool:
    """True when every label is `O` or starts with B-/I-/E-/S-/L-/U- (entity tagging)."""
    prefixes = ("B-", "I-", "E-", "S-", "L-", "U-")
    return any(lab != "O" for lab in labels) and all(
        lab == "O" or lab.startswith(prefixes) for lab in labels
    )


def attachment_scores(
    gold_heads: Sequence[Sequence[int]],
    gold_deprels: Sequence[Sequence[str]],
    pred_heads: Sequence[Sequence[int]],
    pred_deprels: Sequence[Sequence[str]],
    universal_deprels: bool = True,
) -> dict[str, float]:
    """{"uas", "las"} over every word (punctuation included).

    With `universal_deprels` (the default, CoNLL 2018) gold and predicted relations are cut at
    the first ':' before comparing; without it they must be equal strings, subtypes included.
    """
    _check_sequences(gold_heads, pred_heads, "attachment_scores heads")
    _check_sequences(gold_deprels, pred_deprels, "attachment_scores deprels")
    _check_sequences(gold_heads, gold_deprels, "attachment_scores gold")
    words = heads_ok = labelled_ok = 0
    for gh, gr, ph, pr in zip(gold_heads, gold_deprels, pred_heads, pred_deprels, strict=True):
        for a, b, c, d in zip(gh, gr, ph, pr, strict=True):
            words += 1
            if a == c:
                heads_ok += 1
                labelled_ok += _relation(b, universal_deprels) == _relation(d, universal_deprels)
    return {"uas": heads_ok / words, "las": labelled_ok / words}


def _relation(deprel: str, universal: bool) -> str:
    """The relation as compared: its universal part ('acl' of 'acl:relcl') when `universal`."""
    return deprel.partition(":")[0] if universal else deprel
