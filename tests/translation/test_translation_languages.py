"""Language-code table: NLLB coverage, dataset aliases, unsupported and unknown codes."""

from __future__ import annotations

import pytest

from sparsexlt.errors import UnknownLanguageError, UnsupportedLanguageError
from sparsexlt.translation.languages import (
    language_codes_in_vocab,
    nllb_codes,
    resolve_language,
    split_supported,
)


def test_table_has_exactly_the_model_vocabularys_202_codes():
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    assert len(nllb_codes()) == 202
    assert set(nllb_codes()) == set(FAIRSEQ_LANGUAGE_CODES)
    for code in nllb_codes():  # every code resolves to itself
        assert resolve_language(code) == code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        # NusaX directory names and ISO codes
        ("acehnese", "ace_Latn"),
        ("ace", "ace_Latn"),
        ("balinese", "ban_Latn"),
        ("banjarese", "bjn_Latn"),
        ("bjn", "bjn_Latn"),
        ("buginese", "bug_Latn"),
        ("english", "eng_Latn"),
        ("indonesian", "ind_Latn"),
        ("ind", "ind_Latn"),
        ("javanese", "jav_Latn"),
        ("jav", "jav_Latn"),
        ("minangkabau", "min_Latn"),
        ("min", "min_Latn"),
        ("sundanese", "sun_Latn"),
        ("sun", "sun_Latn"),
        # MasakhaNER
        ("amh", "amh_Ethi"),
        ("hau", "hau_Latn"),
        ("ibo", "ibo_Latn"),
        ("kin", "kin_Latn"),
        ("lug", "lug_Latn"),
        ("luo", "luo_Latn"),
        ("swa", "swh_Latn"),
        ("wol", "wol_Latn"),
        ("yor", "yor_Latn"),
        # UD (ISO 639-1) and XNLI
        ("en", "eng_Latn"),
        ("fo", "fao_Latn"),
        ("mt", "mlt_Latn"),
        ("yo", "yor_Latn"),
        ("wo", "wol_Latn"),
        ("tl", "tgl_Latn"),
        # AmericasNLI languages NLLB has
        ("aym", "ayr_Latn"),
        ("gn", "grn_Latn"),
        ("grn", "grn_Latn"),
        ("quy", "quy_Latn"),
        # spelling variants
        ("JAV-latn", "jav_Latn"),
        ("Toba", None),
        ("sat_Olck", "sat_Beng"),
    ],
)
def test_dataset_codes_resolve(code, expected):
    if expected is None:
        with pytest.raises(UnknownLanguageError):
            resolve_language(code)
    else:
        assert resolve_language(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        "madurese",
        "mad",
        "ngaju",
        "nij",
        "toba_batak",
        "bbc",
        "bzd",
        "cni",
        "hch",
        "nah",
        "oto",
        "shp",
        "tar",
        "Asháninka",
        "pcm",
        "hsb",
        "bxr",
    ],
)
def test_languages_nllb_lacks_are_unsupported(code):
    with pytest.raises(UnsupportedLanguageError, match="not supported by NLLB-200"):
        resolve_language(code)


def test_unknown_code_suggests_the_closest_known_ones():
    with pytest.raises(UnknownLanguageError) as err:
        resolve_language("javanes")
    assert "javanese" in str(err.value) and "jav_Latn" in str(err.value)
    with pytest.raises(UnknownLanguageError, match="'qqq'"):
        resolve_language("qqq")


def test_a_models_vocabulary_limits_and_extends_what_is_supported():
    tiny = {"ind_Latn", "jav_Latn"}
    assert resolve_language("jv", tiny) == "jav_Latn"
    with pytest.raises(UnsupportedLanguageError, match="not in this translation model"):
        resolve_language("sun", tiny)
    # a model adapted to Madurese carries the new code and then supports it
    assert resolve_language("madurese", {"ind_Latn", "mad_Latn"}) == "mad_Latn"


def test_split_supported_partitions_and_still_rejects_typos():
    ok, skipped = split_supported(["jav", "mad", "sun", "quy", "shp"])
    assert ok == {"jav": "jav_Latn", "sun": "sun_Latn", "quy": "quy_Latn"}
    assert set(skipped) == {"mad", "shp"}
    with pytest.raises(UnknownLanguageError):
        split_supported(["jav", "jawanese"])


def test_language_codes_in_vocab_finds_only_code_shaped_tokens():
    vocab = ["<s>", "▁saya", "jav_Latn", "ind_Latn", "abc_def", "<mask>"]
    assert language_codes_in_vocab(vocab) == {"jav_Latn", "ind_Latn"}


def test_a_region_tag_is_dropped_when_the_language_alone_is_known():
    assert [resolve_language(c) for c in ("pt-BR", "es-419", "en_US")] == [
        "por_Latn",
        "spa_Latn",
        "eng_Latn",
    ]
    assert resolve_language("zh-TW") == "zho_Hant"  # the table's own alias, script and all
    assert (resolve_language("iw"), resolve_language("ekk")) == ("heb_Hebr", "est_Latn")
    with pytest.raises(UnknownLanguageError):  # the region picks the script: never guessed
        resolve_language("zho-MO")
    with pytest.raises(UnknownLanguageError, match="empty language code"):
        resolve_language(" ")
