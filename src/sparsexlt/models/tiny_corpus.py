"""A small generated multilingual-ish corpus for tiny offline models.

Real function words of a few languages plus pseudo-words built from each language's syllables,
so a SentencePiece model trained on it learns real pieces (whole words, common syllables) for
English, Indonesian, Spanish, Swahili, German and French text. Deterministic under `seed`.
"""

from __future__ import annotations

import random

_LANGS: dict[str, tuple[str, str]] = {
    "eng": (
        "the a and of to in is it that was he she they we you not with for on at this good bad "
        "very film food house water people day time year work city school love happy sad",
        "ing er tion th an re on en at ed st ly",
    ),
    "ind": (
        "yang dan di ke dari ini itu tidak saya kami mereka dengan untuk ada sangat bagus buruk "
        "makan rumah air orang hari waktu tahun kerja kota sekolah senang sedih enak",
        "ka ng an me ber ter nya la ma sa ta pa",
    ),
    "spa": (
        "el la los las de que y en un una es no con por para muy bueno malo casa agua gente día "
        "tiempo año trabajo ciudad escuela amor feliz triste comida película",
        "ción mente ar er ir os as do da ra co",
    ),
    "swa": (
        "na ya wa kwa ni si la za katika hii hiyo sana nzuri mbaya chakula nyumba maji watu "
        "siku wakati mwaka kazi mji shule upendo furaha huzuni",
        "ku wa mu ki vi ji li ma nga ni ta ka",
    ),
    "deu": (
        "der die das und ist nicht mit für auf ein eine sehr gut schlecht haus wasser leute tag "
        "zeit jahr arbeit stadt schule liebe glücklich traurig essen",
        "ung en er sch ch ei ie keit heit lich",
    ),
    "fra": (
        "le la les de et est pas avec pour sur un une très bon mauvais maison eau gens jour temps "
        "année travail ville école amour heureux triste nourriture",
        "tion ment eau ou ai oi en an er ez",
    ),
}


def _pseudo_word(rng: random.Random, syllables: list[str]) -> str:
    return "".join(rng.choice(syllables) for _ in range(rng.randint(1, 3)))


def default_tiny_texts(n: int = 3000, seed: int = 0) -> list[str]:
    """`n` sentences cycling through the languages above; same list for the same seed."""
    rng = random.Random(seed)
    langs = sorted(_LANGS)
    texts = []
    for i in range(n):
        words, syllables = (part.split() for part in _LANGS[langs[i % len(langs)]])
        sentence = [
            rng.choice(words) if rng.random() < 0.7 else _pseudo_word(rng, syllables)
            for _ in range(rng.randint(4, 14))
        ]
        sentence[0] = sentence[0].capitalize()
        texts.append(" ".join(sentence) + rng.choice([".", ".", "!", "?"]))
    return texts
