"""chrF and BLEU (sacrebleu) of a translation engine on held-out sentence pairs."""

from __future__ import annotations

from collections.abc import Sequence

from sacrebleu.metrics import BLEU, CHRF

from sparsexlt.translation.engine import TranslationEngine
from sparsexlt.translation.parallel import Pair


def score_translations(hypotheses: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Corpus chrF (character 6-grams, β=2) and BLEU (13a tokenisation), sacrebleu defaults."""
    refs = [list(references)]
    return {
        "chrf": round(CHRF().corpus_score(list(hypotheses), refs).score, 3),
        "bleu": round(BLEU().corpus_score(list(hypotheses), refs).score, 3),
    }


def evaluate_engine(
    engine: TranslationEngine, pairs: Sequence[Pair], src_code: str, tgt_code: str
) -> dict[str, float]:
    """Translate the sources of `pairs` and score them against their targets."""
    out = engine.translate([s for s, _ in pairs], src_code, tgt_code)
    return {**score_translations(out.texts, [t for _, t in pairs]), "sentences": len(pairs)}
