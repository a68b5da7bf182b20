"""Map the language codes users write (`jav`, `javanese`, `gn`, `jav_Latn`) to NLLB-200 codes.

Contract of `resolve_language(code, available=None)`:
- a code NLLB-200 has → its NLLB code (`"sun"` → `"sun_Latn"`); when `available` (the codes a
  particular model's vocabulary holds) is given and lacks it → `UnsupportedLanguageError`;
- a language we know NLLB-200 lacks (Madurese, Ngaju, Toba Batak, most AmericasNLI languages) →
  `UnsupportedLanguageError` — unless `available` holds the code an adapted model added for it
  (`mad_Latn`), which is then returned;
- anything else → `UnknownLanguageError` naming the closest known codes.
Lookup ignores case, accents, and the difference between `_`, `-` and spaces.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache

from sparsexlt.errors import UnknownLanguageError, UnsupportedLanguageError
from sparsexlt.translation.language_table import NLLB_TABLE, UNSUPPORTED_TABLE

_CODE_PATTERN = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")
_REGION = re.compile(r"^([a-z]{2,3})_(?:[a-z]{2}|\d{3})$")  # normalised `pt-BR`, `es-419`
_SCRIPT_BY_REGION = {"zh", "zho"}  # zh-TW is Traditional script: pick zho_Hant/zho_Hans


@dataclass(frozen=True)
class Language:
    """One language: its NLLB code (or the code an adapted model would add) and English name."""

    code: str
    name: str
    in_nllb: bool


def normalize_key(text: str) -> str:
    """Lower case, accents stripped, runs of space/`-`/`_` turned into one `_`."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", "_", plain.lower())


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, Language], dict[str, Language]]:
    """(alias key → Language for NLLB languages, alias key → Language for unsupported ones)."""
    supported: dict[str, Language] = {}
    for line in NLLB_TABLE.splitlines():
        code, name, *rest = line.split("\t")
        lang = Language(code, name, True)
        for key in (code, name, *_aliases(rest)):
            _add(supported, normalize_key(key), lang)
    unsupported: dict[str, Language] = {}
    for line in UNSUPPORTED_TABLE.splitlines():
        iso, name, code, *rest = line.split("\t")
        lang = Language(code, name, False)
        for key in (iso, code, name, *_aliases(rest)):
            _add(unsupported, normalize_key(key), lang)
    clash = set(supported) & set(unsupported)
    if clash:
        raise AssertionError(f"language table: aliases both supported and not: {sorted(clash)}")
    return supported, unsupported


def _aliases(rest: list[str]) -> list[str]:
    return [a.strip() for a in rest[0].split(",")] if rest else []


def _add(table: dict[str, Language], key: str, lang: Language) -> None:
    if key in table and table[key] != lang:
        raise AssertionError(
            f"language table: alias {key!r} is both {table[key].code} and {lang.code}"
        )
    table[key] = lang


def nllb_codes() -> tuple[str, ...]:
    """Every NLLB-200 language code, sorted."""
    supported, _ = _tables()
    return tuple(sorted({lang.code for lang in supported.values()}))


def known_keys() -> list[str]:
    """Every code and name that resolves (NLLB or known-unsupported), normalised."""
    supported, unsupported = _tables()
    return sorted(set(supported) | set(unsupported))


def lookup_language(code: str) -> Language:
    """The `Language` a user's code names; `UnknownLanguageError` with suggestions otherwise.

    A BCP-47 region tag (`pt-BR`, `es-419`, `en_US`) is dropped when the code without it is
    known: NLLB-200 has one code per language and script, not per region."""
    supported, unsupported = _tables()
    key = normalize_key(code)
    if not key:
        raise UnknownLanguageError("empty language code")
    region = _REGION.match(key)
    keys = (key, region.group(1)) if region and region.group(1) not in _SCRIPT_BY_REGION else (key,)
    for k in keys:
        lang = supported.get(k) or unsupported.get(k)
        if lang is not None:
            return lang
    raise UnknownLanguageError(_unknown_message(code, key))


def resolve_language(code: str, available: Collection[str] | None = None) -> str:
    """The NLLB code to translate into/from for `code` (see module docstring for the contract)."""
    lang = lookup_language(code)
    if available is not None and lang.code in available:
        return lang.code
    if not lang.in_nllb:
        raise UnsupportedLanguageError(
            f"language {code!r} ({lang.name}) is not supported by NLLB-200: translate-train is "
            f"skipped for it (a model adapted with `sparsexlt translate adapt` that adds the code "
            f"{lang.code} would support it)"
        )
    if available is not None:
        raise UnsupportedLanguageError(
            f"language {code!r} ({lang.name}, {lang.code}) is not in this translation model's "
            f"vocabulary, which has {len(available)} language code(s): "
            f"{', '.join(sorted(available)[:10])}{' …' if len(available) > 10 else ''}"
        )
    return lang.code


def split_supported(
    codes: Iterable[str], available: Collection[str] | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Partition user codes into ({code: nllb_code} supported, {code: reason} unsupported).

    Unknown codes still raise `UnknownLanguageError`: a typo must not silently skip a language.
    """
    supported: dict[str, str] = {}
    unsupported: dict[str, str] = {}
    for code in codes:
        try:
            supported[code] = resolve_language(code, available)
        except UnsupportedLanguageError as err:
            unsupported[code] = str(err)
    return supported, unsupported


def language_codes_in_vocab(vocab: Iterable[str]) -> set[str]:
    """The tokens of a vocabulary that look like NLLB language codes (`xxx_Xxxx`)."""
    return {tok for tok in vocab if _CODE_PATTERN.match(tok)}


def _unknown_message(code: str, key: str) -> str:
    supported, unsupported = _tables()
    close = difflib.get_close_matches(key, known_keys(), n=5, cutoff=0.6)
    if not close:
        close = [k for k in known_keys() if k.startswith(key[:2])][:5]
    hints = []
    for k in close:
        lang = supported.get(k) or unsupported[k]
        shown = lang.code if k == normalize_key(lang.code) else k
        where = lang.code if lang.in_nllb else "not in NLLB-200"
        plain = shown == lang.code and lang.in_nllb
        hints.append(shown if plain else f"{shown} ({lang.name}, {where})")
    suggestion = f"; did you mean: {', '.join(hints)}?" if hints else ""
    return f"unknown language code {code!r}{suggestion}"
