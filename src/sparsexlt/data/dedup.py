"""Removing examples whose text also occurs in evaluation sets (train/test contamination).

Why: NusaX was built from SmSA, so 219 of the 400 NusaX-Indonesian test sentences occur in SmSA
(217 in its train split) once case and punctuation are ignored, and 83 more have a near-duplicate
in SmSA train. Training on SmSA and testing on NusaX without this step measures memory.

Exact match compares `normalize(text)`: the text lower-cased (`str.lower`) with every character
that is not alphanumeric (`str.isalnum`, Unicode-aware) removed, whitespace included, so
"Harga cukup terjangkau." and "harga cukup terjangkau ." are the same key.
Near match (optional) compares `token_set(text)`: lower-cased, non-alphanumerics turned into
spaces, split on whitespace; two texts are near-duplicates when the Jaccard index of their token
sets is >= the threshold. Works for every schema: the text of an example is `text`, or premise
and hypothesis joined by a space, or the tokens joined by spaces.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from datasets import Dataset

from sparsexlt.data.schema import column

EXACT_REASON = "duplicate of an evaluation text"


def near_reason(threshold: float) -> str:
    return f"near-duplicate of an evaluation text (token Jaccard >= {threshold})"


# Python's `\w` is exactly `str.isalnum()` plus "_", so `[^\W_]` is one alphanumeric character.
_NON_ALNUM = re.compile(r"[\W_]+")
_ALNUM_RUN = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """Exact-match key: lower-cased alphanumeric characters only."""
    return _NON_ALNUM.sub("", text.lower())


def token_set(text: str) -> frozenset[str]:
    """Near-match key: the set of lower-cased alphanumeric runs."""
    return frozenset(_ALNUM_RUN.findall(text.lower()))


def texts_of(source: Dataset | Iterable[str]) -> list[str]:
    """The text of every example of a Dataset of any schema, or the strings themselves."""
    if not isinstance(source, Dataset):
        return list(source)
    names = source.column_names
    if "text" in names:
        return column(source, "text")
    if "premise" in names:
        pairs = zip(column(source, "premise"), column(source, "hypothesis"), strict=True)
        return [f"{p} {h}" for p, h in pairs]
    if "tokens" in names:
        return [" ".join(tokens) for tokens in column(source, "tokens")]
    raise ValueError(f"no text column among {names}")


@dataclass
class DedupResult:
    dataset: Dataset
    exact: int  # examples removed as exact duplicates
    near: int  # examples removed as near-duplicates (0 unless a threshold was given)

    @property
    def dropped(self) -> int:
        return self.exact + self.near


def dedup_against(
    dataset: Dataset,
    references: Iterable[Dataset | Iterable[str]],
    near_jaccard: float | None = None,
) -> DedupResult:
    """`dataset` without the examples whose text matches any reference text (order kept)."""
    if near_jaccard is not None and not 0 < near_jaccard <= 1:
        raise ValueError(f"near_jaccard must be in (0, 1], got {near_jaccard}")
    ref_texts = [t for ref in references for t in texts_of(ref)]
    exact_keys = {normalize(t) for t in ref_texts} - {""}  # "!!!" is no one's duplicate
    near = _NearIndex(ref_texts, near_jaccard) if near_jaccard is not None else None
    keep, n_exact, n_near = [], 0, 0
    for index, text in enumerate(texts_of(dataset)):
        if normalize(text) in exact_keys:
            n_exact += 1
        elif near is not None and near.matches(text):
            n_near += 1
        else:
            keep.append(index)
    kept = dataset if len(keep) == len(dataset) else dataset.select(keep)
    return DedupResult(kept, n_exact, n_near)


class _NearIndex:
    """Inverted index over reference token sets: one bincount scores every reference at once."""

    def __init__(self, texts: Sequence[str], threshold: float):
        self.threshold = threshold
        sets = [token_set(t) for t in texts]
        self.sizes = np.array([len(s) for s in sets], dtype=np.float64)
        postings: dict[str, list[int]] = defaultdict(list)
        for i, tokens in enumerate(sets):
            for token in tokens:
                postings[token].append(i)
        self.index = {token: np.array(ids, dtype=np.int64) for token, ids in postings.items()}

    def matches(self, text: str) -> bool:
        tokens = token_set(text)
        hits = [self.index[t] for t in tokens if t in self.index]
        if not hits:
            return False
        shared = np.bincount(np.concatenate(hits), minlength=len(self.sizes))
        jaccard = shared / (len(tokens) + self.sizes - shared)
        return bool((jaccard >= self.threshold).any())
