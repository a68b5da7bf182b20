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

Spans come from the tags. Entity tags give one span per entity (`O` is outside) in any of the
three usual schemes, and projected tags are written back in the source's scheme:
- IOB (`B-X`, `I-X`): `B- I- I-`, a single word `B-`;
- IOBES (adds `E-X` last word, `S-X` single word): `B- I- E-`, a single word `S-`;
- BILOU (`B-`, `I-`, `L-` last, `U-` unit): `B- I- L-`, a single word `U-`.
Any other tag set (e.g. UPOS, or a mix of IOBES and BILOU prefixes) gives one span per run of
equal tags, and a translation with words outside every span is dropped (they would have no tag).
Literal brackets in the source tokens are replaced by parentheses so they cannot be mistaken for
markers. Translated text is split on whitespace; outside the spans, punctuation at either end of
a word is split off ("Jakarta." → "Jakarta" "."), inside a span the words are kept as they are,
so "M." or "U.S." never hands its label to a lone ".".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

OUTSIDE = "O"
IOB = "iob"
IOBES = "iobes"
BILOU = "bilou"
RUNS = "runs"
ENTITY_SCHEMES = (IOB, IOBES, BILOU)
# per entity scheme: (prefix of a single-word span, prefix of the last word of a longer span)
_WRITE = {IOB: ("B-", "I-"), IOBES: ("S-", "E-"), BILOU: ("U-", "L-")}
_PREFIXES = ("B-", "I-", "E-", "S-", "L-", "U-")

_MARKED_SPAN = re.compile(r"\[\s*(\d+)\s+([^\[\]]*?)\s*\]")
_EDGE_PUNCT = re.compile(r"^(\W*?)(\w.*?\w|\w)?(\W*)$", re.DOTALL)


@dataclass(frozen=True)
class Span:
    """Tokens [start, end) carry `label`."""

    start: int
    end: int
    label: str


def tag_scheme(tags: Iterable[str]) -> str:
    """The entity scheme of a tag set (`iob`, `iobes`, `bilou`), else `runs`.

    Every tag must be `O` or carry one of the prefixes B- I- E- S- L- U-; E-/S- make it IOBES,
    L-/U- BILOU; both at once is no scheme we can write back, so it is `runs`.
    """
    prefixes = set()
    for t in tags:
        if t == OUTSIDE:
            continue
        if t[:2] not in _PREFIXES or len(t) < 3:
            return RUNS
        prefixes.add(t[0])
    iobes, bilou = bool(prefixes & {"E", "S"}), bool(prefixes & {"L", "U"})
    if iobes and bilou:
        return RUNS
    return IOBES if iobes else BILOU if bilou else IOB


def spans_of(tags: Sequence[str], scheme: str) -> list[Span]:
    """Labelled spans of one sentence.

    Entity schemes: B-/S-/U- start a span, E-/L-/S-/U- end one after their word; an I-/E-/L-
    of another type than the open span (or with none open, IOB1-style) starts a new one.
    """
    if scheme not in ENTITY_SCHEMES:
        return _runs(tags)
    spans: list[Span] = []
    start, label = None, None
    for i, tag in enumerate(tags):
        kind = None if tag == OUTSIDE else tag[2:]
        if start is not None and (kind is None or tag[0] in "BSU" or kind != label):
            spans.append(Span(start, i, label))  # type: ignore[arg-type]
            start, label = None, None
        if kind is None:
            continue
        if start is None:
            start, label = i, kind
        if tag[0] in "ELSU":
            spans.append(Span(start, i + 1, kind))
            start, label = None, None
    if start is not None:
        spans.append(Span(start, len(tags), label))  # type: ignore[arg-type]
    return spans


def _runs(tags: Sequence[str]) -> list[Span]:
    """One span per run of equal non-O tags."""
    spans: list[Span] = []
    start = 0
    for i in range(1, len(tags) + 1):
        if i == len(tags) or tags[i] != tags[start]:
            if tags[start] != OUTSIDE:
                spans.append(Span(start, i, tags[start]))
            start = i
    return spans


def span_tags(label: str, length: int, scheme: str) -> list[str]:
    """The tags of a projected span of `length` words, in `scheme`."""
    if scheme not in ENTITY_SCHEMES:
        return [label] * length
    single, last = _WRITE[scheme]
    if length == 1:
        return [f"{single}{label}"]
    return [f"B-{label}"] + [f"I-{label}"] * (length - 2) + [f"{last}{label}"]


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
        idx, inner = int(m.group(1)), m.group(2).split()  # words inside a span stay whole
        if idx >= len(labels) or not inner:
            return None
        label = labels[idx]
        found.append(label)
        tokens.extend(inner)
        tags.extend(span_tags(label, len(inner), scheme))
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
