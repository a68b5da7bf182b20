"""Engines for tests: one that counts what it is asked, one that 'translates' with a function."""

from __future__ import annotations

from collections.abc import Sequence

from sparsexlt.translation.engine import TranslatedBatch

CORPUS = {
    "ind_Latn": [
        "saya suka makan nasi goreng di warung itu",
        "dia pergi ke pasar pagi ini bersama ibunya",
        "buku itu sangat bagus dan harganya murah",
        "pelayanan hotel ini buruk sekali",
        "kami menonton film baru di bioskop kemarin malam",
        "makanannya enak tetapi tempatnya terlalu ramai",
    ],
    "jav_Latn": [
        "aku seneng mangan sega goreng ing warung kuwi",
        "dheweke lunga menyang pasar esuk iki karo ibune",
        "buku kuwi apik banget lan regane murah",
        "pelayanan hotel iki elek banget",
        "awake dhewe nonton film anyar ing bioskop wingi bengi",
        "panganane enak nanging panggonane rame banget",
    ],
    "eng_Latn": [
        "i like eating fried rice at that stall",
        "she went to the market this morning with her mother",
        "that book is very good and cheap",
    ],
}


class CountingEngine:
    """Wraps an engine and records every text it is asked to translate."""

    def __init__(self, inner):
        self.inner = inner
        self.key = inner.key
        self.fingerprint = inner.fingerprint
        self.language_codes = inner.language_codes
        self.calls: list[list[str]] = []

    @property
    def texts(self) -> list[str]:
        return [t for call in self.calls for t in call]

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> TranslatedBatch:
        self.calls.append(list(texts))
        return self.inner.translate(texts, src, tgt)


class FunctionEngine:
    """An engine whose 'translation' is a Python function (marker-projection tests)."""

    def __init__(self, fn, codes=("ind_Latn", "jav_Latn", "eng_Latn"), key="fn"):
        self.fn = fn
        self.key = key
        self.fingerprint = "none"
        self.language_codes = frozenset(codes)

    def translate(self, texts: Sequence[str], src: str, tgt: str) -> TranslatedBatch:
        return TranslatedBatch([self.fn(t) for t in texts], [False] * len(texts))
