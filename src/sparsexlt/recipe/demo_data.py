"""Synthetic data for the offline demo: 3-class sentiment in invented-vocabulary languages.

Why: the demo must run anywhere, offline, in minutes, with every step of the recipe exercised,
and must not ship or copy real data sets. So the project generates its own: each language is an
invented vocabulary over one shared set of concepts (nouns, adjectives of each polarity,
function words). Related languages share "cognates": every language mutates a common proto
word of each concept with its own sound changes, so some words are equal across languages and
zero-shot transfer is possible but imperfect, the way it is between real related languages.
Word order differs too: some languages put the adjective before the noun, others after it.

A sentence describes one or two things with adjectives of ONE polarity (the label): `positive`,
`negative` or `neutral`. 5% of task labels are flipped so no score is trivially perfect.
Everything is a deterministic function of (language code, split, seed): the same call gives
the same examples on every machine (Python's `random.Random` with string seeds is stable).

`demo_dataset(language, split)` returns the `sequence-classification` schema
(`id, text, label`); `demo_text(language)` the plain-text schema (`text`) for language SFTs;
`demo_parallel_texts(language)` sentence-aligned text (parallel data for MT adaptation).
The numbers a demo run produces measure plumbing, not the quality of any method.
"""

from __future__ import annotations

import random
from functools import lru_cache

DEMO_VERSION = 2  # bump when the generated data changes: artifact keys include it
LABELS = ("negative", "neutral", "positive")
SIZES = {"train": 240, "validation": 60, "test": 90, "unlabelled": 400}
NOISE = 0.05

_PROTO_SYLLABLES = [
    "ka",
    "ri",
    "mo",
    "tu",
    "se",
    "la",
    "na",
    "pe",
    "go",
    "di",
    "bu",
    "ha",
    "ye",
    "vo",
    "zu",
    "li",
    "ta",
    "ne",
    "po",
    "mi",
]
_CONCEPTS = {
    "noun": 16,
    "positive": 8,
    "negative": 8,
    "neutral": 8,
    "det": 3,
    "copula": 2,
    "very": 2,
    "and": 1,
    "filler": 10,
}


def _proto_words() -> dict[str, list[str]]:
    """The shared proto vocabulary: concept class -> words (fixed, language independent)."""
    rng = random.Random("sparsexlt-demo-proto")
    used: set[str] = set()
    words: dict[str, list[str]] = {}
    for concept, count in _CONCEPTS.items():
        words[concept] = []
        while len(words[concept]) < count:
            size = 1 if concept in ("det", "copula", "and") else rng.randint(2, 3)
            word = "".join(rng.choice(_PROTO_SYLLABLES) for _ in range(size))
            if word not in used:
                used.add(word)
                words[concept].append(word)
    return words


@lru_cache(maxsize=32)
def lexicon(language: str) -> tuple[dict[str, list[str]], bool]:
    """(concept class -> this language's words, adjective-first word order) for `language`.

    Sound change: one consonant of the proto words is replaced by another, so roughly half the
    words of two languages are equal.
    """
    rng = random.Random(f"sparsexlt-demo-language:{language}")
    letters = sorted(set("".join(_PROTO_SYLLABLES)))
    consonants = [c for c in letters if c not in "aeiou"]
    shifts = {rng.choice(consonants): rng.choice("bdfgjklmnprstvwz")}
    words = {
        concept: [_unique("".join(shifts.get(c, c) for c in w), i) for i, w in enumerate(ws)]
        for concept, ws in _proto_words().items()
    }
    return words, sum(map(ord, language)) % 2 == 1  # ind, jav: adjective first; mad: last


def _unique(word: str, index: int) -> str:
    return word if len(word) > 1 else word + "ha"[index % 2]


def _phrase(
    rng: random.Random, words: dict[str, list[str]], adj_first: bool, label: str
) -> list[str]:
    # Every language makes the same random draws in the same order (only the rendering
    # differs), so one seed gives sentence-aligned text in any two languages.
    det, noun = rng.choice(words["det"]), rng.choice(words["noun"])
    adjective = rng.choice(words[label])
    if rng.random() < 0.4:
        adjective = f"{rng.choice(words['very'])} {adjective}"
    copula = rng.choice(words["copula"])
    if adj_first:
        return [adjective, noun, copula]
    return [det, noun, copula, adjective]


def _sentence(rng: random.Random, language: str, label: str) -> str:
    words, adj_first = lexicon(language)
    parts = _phrase(rng, words, adj_first, label)
    if rng.random() < 0.35:
        parts += [words["and"][0], *_phrase(rng, words, adj_first, label)]
    if rng.random() < 0.5:
        where, filler = rng.random(), rng.choice(words["filler"])
        parts.insert(int(where * (len(parts) + 1)), filler)
    return " ".join(parts).capitalize() + rng.choice([".", ".", "!"])


def demo_columns(language: str, split: str, n: int | None = None, seed: int = 0) -> dict:
    """Columns `id, text, label` of `n` examples (default: `SIZES[split]`)."""
    if split not in SIZES or split == "unlabelled":
        raise ValueError(f"demo split must be train, validation or test, got {split!r}")
    n = SIZES[split] if n is None else n
    rng = random.Random(f"sparsexlt-demo:{DEMO_VERSION}:{language}:{split}:{seed}")
    ids, texts, labels = [], [], []
    for i in range(n):
        label = LABELS[i % len(LABELS)]
        texts.append(_sentence(rng, language, label))
        if rng.random() < NOISE:
            label = rng.choice([x for x in LABELS if x != label])
        ids.append(f"{language}-{split}-{i}")
        labels.append(label)
    order = list(range(n))
    rng.shuffle(order)
    return {
        "id": [ids[i] for i in order],
        "text": [texts[i] for i in order],
        "label": [labels[i] for i in order],
    }


def demo_texts(language: str, n: int | None = None, seed: int = 0) -> list[str]:
    """`n` unlabelled sentences of `language` (default: `SIZES["unlabelled"]`)."""
    n = SIZES["unlabelled"] if n is None else n
    rng = random.Random(f"sparsexlt-demo:{DEMO_VERSION}:{language}:unlabelled:{seed}")
    return [_sentence(rng, language, rng.choice(LABELS)) for _ in range(n)]


def demo_parallel_texts(language: str, n: int | None = None, seed: int = 0) -> list[str]:
    """`n` sentences in `language`, aligned across languages: row i of any two languages says
    the same thing (the parallel data that adapts a translation model to the language)."""
    n = SIZES["unlabelled"] if n is None else n
    rng = random.Random(f"sparsexlt-demo:{DEMO_VERSION}:parallel:{seed}")
    return [_sentence(rng, language, LABELS[i % len(LABELS)]) for i in range(n)]


def demo_dataset(language: str, split: str, n: int | None = None, seed: int = 0):
    """The `sequence-classification` Dataset of `demo_columns`."""
    from sparsexlt.data.schema import SEQUENCE_CLASSIFICATION, to_dataset

    return to_dataset(demo_columns(language, split, n, seed), SEQUENCE_CLASSIFICATION)


def demo_text(language: str, n: int | None = None, seed: int = 0):
    """The plain-text Dataset (`text` column) of `demo_texts`."""
    from sparsexlt.data.schema import TEXT, to_dataset

    return to_dataset({"text": demo_texts(language, n, seed)}, TEXT)
