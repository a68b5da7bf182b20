"""Marker-based label projection for token-level translate-train (NER, POS).

A sentence is translated as one string in which every labelled span is wrapped in bracket
markers that carry the index of the span's label in a fixed label list:

    tokens  Obama visited Jakarta .        tags  B-PER O B-LOC O     labels  [LOC, PER]
    marked  "[1 Obama ] visited [0 Jakarta ] ."

Why brackets with a number: square brackets and digits are copied through by NLLB far more
reliably than XML-like tags or rare symbols, and the number names the label even when the
translation reorders the spans (no alignment needed). After translation the markers are parsed
back; a sentence is *dropped* when they did not survive intact — a bracket without its partner,
a nested or empty span, an unknown index, or a different multiset of labels than the source had.

Spans come from the tags: IOB tags (`B-X`, `I-X`, `O`) give one span per entity (`O` is
outside); any other tag set (e.g. UPOS) gives one span per run of equal tags, and a translation
with words outside every span is dropped (they would have no tag). Literal brackets in the
source tokens are replaced by parentheses so they cannot be mistaken for markers.
Translated text is split on whitespace, and punctuation at either end of a word is split off.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

OUTSIDE = "O"
IOB = "iob"
RUNS = "runs"

_MARKED_SPAN = re.compile(r"\[\s*(\d+)\s+([^\[\]]*?)\s*\]")
_EDGE_PUNCT = re.compile(r"^(\W*?)(\w.*?\w|\w)?(\W*)$", re.DOTALL)


@dataclass(frozen=True)
class Span:
    """Tokens [start, end) carry `label`."""

    start: int
    end: int
    label: str


def tag_scheme(tags: Iterable[str]) -> str:
    """`iob` when every tag is O, B-x or I-x; otherwise `runs`."""
    ok = all(t == OUTSIDE or t[:2] in ("B-", "I-") for t in tags)
    return IOB if ok else RUNS


def spans_of(tags: Sequence[str], scheme: str) -> list[Span]:
    """Labelled spans of one sentence (an I-x after a different type starts a new span)."""
    spans: list[Span] = []
    start, label = None, None
    for i, tag in enumerate([*tags, OUTSIDE]):
        if scheme == IOB:
            kind = tag[2:] if tag != OUTSIDE else None
            begins = tag.startswith("B-") or (kind is not None and kind != label)
        else:
            kind = tag if tag != OUTSIDE else None
            begins = kind != label
        if start is not None and (kind is None or begins):
            spans.append(Span(start, i, label))  # type: ignore[arg-type]
            start, label = None, None
        if kind is not None and start is None:
            start, label = i, kind
    return spans


def span_labels(tag_lists: Iterable[Sequence[str]], scheme: str) -> list[str]:
    """The sorted label list whose indices the markers carry."""
    labels = set()
    for tags in tag_lists:
        labels.update(s.label for s in spans_of(tags, scheme))
    return sorted(labels)


def _clean(token: str) -> str:
    return token.replace("[", "(").replace("]", ")")


def mark_sentence(
    tokens: Sequence[str], tags: Sequence[str], labels: Sequence[str], scheme: str
) -> str:
    """The source string to translate, spans wrapped as `[<label index> … ]`."""
    index = {label: i for i, label in enumerate(labels)}
    words = [_clean(t) for t in tokens]
    for span in reversed(spans_of(tags, scheme)):
        inner = " ".join(words[span.start : span.end])
        words[span.start : span.end] = [f"[{index[span.label]} {inner} ]"]
    return " ".join(words)


def split_words(text: str) -> list[str]:
    """Whitespace words, with punctuation at either end split off ("(Jakarta)," → 4 tokens)."""
    out: list[str] = []
    for word in text.split():
        m = _EDGE_PUNCT.match(word)
        if m is None or m.group(2) is None:
            out.append(word)
            continue
        lead, core, trail = m.groups()
        out.extend([*lead, core, *trail])
    return out


def recover_sentence(
    translated: str, expected: Sequence[str], labels: Sequence[str], scheme: str
) -> tuple[list[str], list[str]] | None:
    """(tokens, tags) of a marked translation, or None when the markers did not survive.

    `expected` is the source sentence's span labels; the translation must hold the same
    multiset of labels.
    """
    tokens: list[str] = []
    tags: list[str] = []
    found: list[str] = []
    pos = 0
    for m in _MARKED_SPAN.finditer(translated):
        if not _add_outside(translated[pos : m.start()], tokens, tags, scheme):
            return None
        idx, inner = int(m.group(1)), split_words(m.group(2))
        if idx >= len(labels) or not inner:
            return None
        label = labels[idx]
        found.append(label)
        tokens.extend(inner)
        if scheme == IOB:
            tags.extend([f"B-{label}"] + [f"I-{label}"] * (len(inner) - 1))
        else:
            tags.extend([label] * len(inner))
        pos = m.end()
    if not _add_outside(translated[pos:], tokens, tags, scheme):
        return None
    if Counter(found) != Counter(expected) or not tokens:
        return None
    return tokens, tags


def _add_outside(text: str, tokens: list[str], tags: list[str], scheme: str) -> bool:
    """Append unlabelled words; False when they hold a stray bracket or cannot be tagged."""
    if "[" in text or "]" in text:
        return False
    words = split_words(text)
    if words and scheme == RUNS:
        return False
    tokens.extend(words)
    tags.extend([OUTSIDE] * len(words))
    return True
