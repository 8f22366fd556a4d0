"""Language data for name forms (data/nameforms.yaml, data/english_common_words.txt),
loaded once and normalised the way the matcher normalises text."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import yaml

from .normalize import normalize
from .variants import ortho_key

__all__ = ["LanguageData", "language_data"]


def _norm(word: str) -> str:
    return normalize(word)[0].strip()


@dataclass(frozen=True)
class LanguageData:
    english_endings: tuple[tuple[str, str], ...]
    function_words: frozenset[str]
    optional_article: str
    honorifics_latin: frozenset[str]
    connectors_latin: frozenset[str]
    compound_heads_latin: frozenset[str]
    honorifics_arabic: frozenset[str]
    connectors_arabic: frozenset[str]
    compound_heads_arabic: frozenset[str]
    given_names_latin: frozenset[str]  # orthographic keys
    given_names_arabic: frozenset[str]
    not_names_arabic: frozenset[str]  # original spellings
    arabic_title_words: frozenset[str]
    arabic_title_blockers: frozenset[str]
    place_vowel_folds: tuple[tuple[str, str], ...]
    place_final_h_after: str
    english_words: frozenset[str]

    def is_given_name(self, token: str) -> bool:
        """Whether a normalised token is a known given name (any script), compared by its
        orthographic key (doubled letters collapsed), not by skeleton: Hassan and Hussein
        share one, Said and Saeed too."""
        return token in self.given_names_arabic or ortho_key(token) in self.given_names_latin


def _words(raw: dict[str, object], key: str) -> frozenset[str]:
    values = raw.get(key) or []
    assert isinstance(values, list), f"data/nameforms.yaml: {key} must be a list"
    return frozenset(_norm(str(v)) for v in values)


@functools.cache
def language_data() -> LanguageData:
    """The data files of this package, parsed and normalised (once per process)."""
    folder = resources.files(__package__) / "data"
    raw = yaml.safe_load((folder / "nameforms.yaml").read_text(encoding="utf-8"))
    english = (folder / "english_common_words.txt").read_text(encoding="utf-8")
    given = _words(raw, "given_names_latin")
    return LanguageData(
        english_endings=tuple((str(a), str(b)) for a, b in raw["english_endings"]),
        function_words=_words(raw, "function_words"),
        optional_article=_norm(str(raw["optional_article"])),
        honorifics_latin=_words(raw, "honorifics_latin"),
        connectors_latin=_words(raw, "connectors_latin"),
        compound_heads_latin=_words(raw, "compound_heads_latin"),
        honorifics_arabic=_words(raw, "honorifics_arabic"),
        connectors_arabic=_words(raw, "connectors_arabic"),
        compound_heads_arabic=_words(raw, "compound_heads_arabic"),
        given_names_latin=frozenset(ortho_key(name) for name in given),
        given_names_arabic=frozenset(w for w in _words(raw, "given_names_arabic")),
        not_names_arabic=frozenset(str(v) for v in raw.get("not_names_arabic") or []),
        arabic_title_words=_words(raw, "arabic_title_words"),
        arabic_title_blockers=_words(raw, "arabic_title_blockers"),
        place_vowel_folds=tuple((str(a), str(b)) for a, b in raw["place_vowel_folds"]),
        place_final_h_after="".join(str(v) for v in raw["place_final_h_after"]),
        english_words=frozenset(line.strip() for line in english.splitlines()
                                if line.strip() and not line.startswith("#")),
    )
