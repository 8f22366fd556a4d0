"""A transliteration model between Arabic-script and Latin-script name words.

Arabic writes consonants and long vowels; English news writes the same name in one of
several schemes (news, ALA-LC without its diacritics, informal ones), adding the short
vowels Arabic leaves out. The letter correspondences are data
(data/transliteration.yaml): per Arabic letter, the Latin forms it can take.

`agrees(latin, arabic)` decides whether one normalised Latin word is a spelling of one
normalised Arabic word (article and proclitics already removed), by aligning them letter
by letter:

* every Arabic letter consumes one of its Latin forms (a doubled Latin consonant is one
  Arabic letter: shadda is not written in Arabic);
* a Latin short vowel (a e i o u) may stand between two letters where Arabic writes nothing,
  but never two in a row, never at the start or the end of the word, and never right after
  a long vowel or a vowel written for ayn/hamza (those forms already include the vowel);
* a long vowel letter (ا و ي, final ى) must be matched by a Latin vowel of its quality
  (ا: a/aa, و: u/o/ou/oo, ي: i/ee/ie/ey/y): Omar is not عامر, Karam is not كريم;
* a Latin long vowel (aa ee ii oo uu ou) therefore needs a long vowel letter, ayn or hamza:
  Kareem is not كرم;
* a long vowel is not followed by a doubled consonant (Ammar is عمار, not عامر);
* a final ه is h, ta marbuta (a, ah, eh; at in the construct state: Harakat), or silent
  after a vowel (Abdulla);
* ayn and hamza are an apostrophe (removed by normalisation), a vowel, or nothing.

Verdicts are memoised per (Latin word, Arabic word): names and their words repeat.

`arabic_key` and `latin_keys` put both scripts into one coarse consonant key space (classes
such as ق ك خ غ / q k c g kh gh -> k, vowels, ayn, hamza and h dropped), used only to find
candidates fast; `agrees` is the decision.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources

import yaml

from .normalize import normalize
from .variants import ortho_key

__all__ = ["JOIN", "MAQSURA", "TABLE", "agrees", "alias_words", "arabic_key", "arabic_tokens",
           "latin_keys", "prefixed_cores", "strip_article", "with_maqsura"]

JOIN = "·"  # stands for the article between two Arabic words written as one Latin word
_ARABIC_LETTERS = re.compile("[\u0621-\u064a\u067e\u0698]+")


@dataclass(frozen=True)
class Table:
    """data/transliteration.yaml, loaded."""

    consonants: dict[str, tuple[str, ...]]  # letter -> Latin forms, doubled forms included
    long_vowels: dict[str, dict[str, tuple[str, ...]]]  # letter -> position -> forms
    ayn_hamza: dict[str, dict[str, tuple[str, ...]]]
    final_h: tuple[str, ...]
    short_vowels: frozenset[str]
    explicit_long: tuple[str, ...]
    latin_articles: frozenset[str]
    glued_article_endings: tuple[str, ...]
    conjunctions: tuple[str, ...]
    prepositions: tuple[str, ...]
    article: str
    translation_words: frozenset[str]
    given_names: frozenset[str]
    place_nouns: frozenset[str]
    common_arabic_words: frozenset[str]
    kunya_latin: frozenset[str]
    kunya_arabic: frozenset[str]


def _load() -> Table:
    text = resources.files(__package__).joinpath("data/transliteration.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)

    def forms(values: list[object]) -> tuple[str, ...]:
        return tuple(dict.fromkeys("" if v is None else str(v) for v in values))

    consonants = {}
    for letter, values in raw["letters"].items():
        plain = forms(values)
        consonants[letter] = tuple(dict.fromkeys((*plain, *(f + f[-1] for f in plain if f))))
    by_position = {k: {pos: forms(v) for pos, v in d.items()}
                   for k, d in raw["long_vowels"].items()}
    ayn = {k: {pos: forms(v) for pos, v in d.items()} for k, d in raw["ayn_hamza"].items()}
    blockers = raw["arabic_blockers"]
    return Table(
        consonants=consonants, long_vowels=by_position, ayn_hamza=ayn,
        final_h=forms(raw["final_h"]), short_vowels=frozenset(raw["short_vowels"]),
        explicit_long=forms(raw["explicit_long"]),
        latin_articles=frozenset(raw["latin_articles"]),
        glued_article_endings=forms(raw["glued_article_endings"]),
        conjunctions=forms(raw["conjunctions"]), prepositions=forms(raw["prepositions"]),
        article=raw["arabic_article"],
        translation_words=frozenset(raw["translation_words"]),
        given_names=frozenset(blockers["given_names"]),
        place_nouns=frozenset(blockers["place_nouns"]),
        common_arabic_words=frozenset(raw["common_arabic_words"]),
        kunya_latin=frozenset(raw["kunya"]["latin"]),
        kunya_arabic=frozenset(raw["kunya"]["arabic"]),
    )


TABLE = _load()
_VOWELS = frozenset("aeiou")


# ---------------------------------------------------------------- the aligner


def _position(arabic: str, j: int) -> str:
    if j == 0:
        return "initial"
    if j == len(arabic) - 1 or arabic[j + 1] == JOIN:
        return "final"
    return "medial"


def _options(arabic: str, j: int) -> tuple[tuple[str, bool], ...]:
    """The Latin forms of the Arabic letter at `j`, each with whether it is a vowel written
    for a long vowel, ayn or hamza (after which no short vowel may follow)."""
    letter, position = arabic[j], _position(arabic, j)
    options = _letter_options(letter, position)
    following = arabic[j + 1] if j + 1 < len(arabic) else ""
    if position == "initial" and letter in ("ع", "ء") and following in TABLE.long_vowels:
        return (("", False), *options)  # the long vowel carries the sound: عامر Amer
    if letter == "ي" and position == "medial" and arabic[j - 1] == "ا" and following == "ي":
        return (("", False), *options)  # ئ before the nisba ي, folded to ي: ولائي Walai
    return options


@functools.lru_cache(maxsize=512)
def _letter_options(letter: str, position: str) -> tuple[tuple[str, bool], ...]:
    table = TABLE
    if letter in table.long_vowels:
        return tuple((f, _all_vowels(f)) for f in table.long_vowels[letter][position])
    if letter in table.ayn_hamza:
        return tuple((f, bool(f)) for f in table.ayn_hamza[letter][position])
    if letter == "ه" and position == "final":
        return tuple((f, False) for f in table.final_h)
    if letter == JOIN:
        forms = ("", *table.short_vowels, *table.glued_article_endings, "l")
        return tuple((f, False) for f in dict.fromkeys(forms))
    return tuple((f, False) for f in table.consonants.get(letter, ()))


def _all_vowels(form: str) -> bool:
    return bool(form) and all(c in _VOWELS for c in form)


def _is_long_letter(letter: str) -> bool:
    return letter in TABLE.long_vowels


@functools.lru_cache(maxsize=200_000)
def agrees(latin: str, arabic: str, article_follows: bool = False) -> bool:
    """Whether the normalised Latin word is a spelling of the normalised Arabic word (both
    without article or proclitics; `arabic` may hold JOIN where a second word's article
    stood). `article_follows`: the next Arabic word has the article, which Latin may glue
    to the end of this one (Abdul Aziz = عبد العزيز)."""
    if not latin or not arabic:
        return False
    if latin in TABLE.kunya_latin and arabic in TABLE.kunya_arabic:
        return True  # Abu = أبو, أبا, أبي (case endings Latin does not write)
    if _align(latin, arabic):
        return True
    return article_follows and any(
        latin.endswith(e) and len(latin) > len(e) and _align(latin[:-len(e)], arabic)
        for e in TABLE.glued_article_endings)


def _align(latin: str, arabic: str) -> bool:
    """The alignment, breadth first: the set of (Latin offset, state) reachable before
    each Arabic letter, where the state is what the last Latin letters consumed:
    "" | "short" (a short vowel Arabic does not write) | "vowel" (a vowel written for ayn or
    hamza) | "long" (a long vowel letter's vowel). Few states survive a letter, so this is
    a handful of set operations per letter instead of a recursive search."""
    size = len(latin)
    states = {(0, "")}
    for j, (silent_h_ok, long_letter, options) in enumerate(_plan(arabic)):
        if j:  # a short vowel between two letters, one at a time
            states |= {(i + 1, "short") for i, after in states
                       if after == "" and i < size and latin[i] in _VOWELS}
        following = set()
        for i, after in states:
            for form, vowel, doubled in options:
                if not latin.startswith(form, i):
                    continue
                if silent_h_ok and not form and not (i > 0 and latin[i - 1] in _VOWELS):
                    continue  # a silent final h only after a vowel (Abdulla, not Hassan/حسنه)
                if doubled and after == "long":
                    continue  # no doubled consonant after a long vowel (Ammar is not عامر)
                following.add((i + len(form),
                               ("long" if long_letter else "vowel") if vowel else ""))
        if not following:
            return False
        states = following
    return any(i == size for i, _ in states)


@functools.lru_cache(maxsize=50_000)
def _plan(arabic: str) -> tuple[tuple[bool, bool, tuple[tuple[str, bool, bool], ...]], ...]:
    """Per Arabic letter: whether it is ه (silent only after a vowel), whether it is a
    long vowel letter, and its Latin forms as (form, written for a vowel, doubled
    consonant)."""
    return tuple(
        (arabic[j] == "ه", _is_long_letter(arabic[j]),
         tuple((form, vowel, len(form) >= 2 and form[-1] == form[-2]
                and form[-1] not in _VOWELS) for form, vowel in _options(arabic, j)))
        for j in range(len(arabic)))


# ---------------------------------------------------------------- Arabic words


def arabic_tokens(normalised: str) -> list[str]:
    """The Arabic words of a normalised text or alias."""
    return _ARABIC_LETTERS.findall(normalised)


MAQSURA = "ى"


def with_maqsura(word: str, original: str) -> str:
    """A normalised Arabic word with its final ي put back to ى where the original wrote ى
    (normalisation folds them; the transliteration differs: Muqtada مقتدى, Amiri عامري)."""
    if word.endswith("ي") and original.endswith(MAQSURA):
        return word[:-1] + MAQSURA
    return word


def alias_words(alias: str) -> list[str]:
    """The normalised words of an Arabic alias, a final ى kept (see with_maqsura)."""
    text, offsets = normalize(alias)
    words = []
    at = 0
    for word in text.split(" "):
        start = text.index(word, at) if word else at
        at = start + len(word)
        if word:
            words.append(with_maqsura(word, alias[offsets[at - 1]]))
    return words


def strip_article(word: str) -> tuple[str, bool]:
    """(the word without the article ال, whether it had one)."""
    if word.startswith(TABLE.article) and len(word) > len(TABLE.article) + 1:
        return word[len(TABLE.article):], True
    return word, False


def prefixed_cores(word: str) -> Iterator[tuple[int, str, bool]]:
    """(offset of what follows the proclitics, core word, whether the article was there) of
    each reading of a text word as [conjunction][preposition][article]core (و ف, ب ك ل,
    ال; ل + ال is written لل)."""
    seen = set()
    for conj in ("", *TABLE.conjunctions):
        if conj and not word.startswith(conj):
            continue
        for prep in ("", *TABLE.prepositions):
            rest_at = len(conj) + len(prep)
            if prep and not word.startswith(prep, len(conj)):
                continue
            rest = word[rest_at:]
            readings = [(rest, False)]
            if prep == "ل" and rest.startswith("ل") and len(rest) > 2:
                readings.append((rest[1:], True))  # لل: li + al, the alef not written
            core, had = strip_article(rest)
            if had:
                readings.append((core, True))
            for core, had in readings:
                if len(core) >= 2 and (rest_at, core) not in seen:
                    seen.add((rest_at, core))
                    yield rest_at, core, had


# ---------------------------------------------------------------- keys

_AR_CLASSES = str.maketrans({
    "ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "t", "د": "t", "ض": "t", "ذ": "t", "ظ": "t",
    "ز": "t", "س": "s", "ص": "s", "ش": "s", "ج": "j", "ژ": "j", "ق": "k", "ك": "k", "خ": "k",
    "غ": "k", "ف": "f", "ر": "r", "ل": "l", "م": "m", "ن": "n",
    "ح": None, "ه": None, "ا": None, "و": None, "ي": None, "ى": None, "ع": None, "ء": None,
    JOIN: None,
})
_LATIN_DIGRAPHS = (("sch", "s"), ("sh", "s"), ("ch", "s"), ("kh", "k"), ("gh", "k"),
                   ("th", "t"), ("dh", "t"), ("ph", "f"), ("dj", "j"), ("zh", "j"),
                   ("ck", "k"))
# The digraphs that are also two Arabic letters with another key (ز+ه is not ژ).
_SAFE_DIGRAPHS = tuple(d for d in _LATIN_DIGRAPHS if d[0] not in ("ch", "zh", "dj", "ph"))
_LATIN_CLASSES = str.maketrans({"p": "b", "d": "t", "z": "t", "q": "k", "c": "k", "g": "k",
                                "x": "k", "v": "f", "h": None, "a": None, "e": None,
                                "i": None, "o": None, "u": None, "y": None, "w": None})


def arabic_key(word: str) -> str:
    """The coarse cross-script key of an Arabic word (no article): consonant classes."""
    return ortho_key(word.translate(_AR_CLASSES))


@functools.lru_cache(maxsize=65536)
def latin_keys(word: str) -> tuple[str, ...]:
    """The coarse cross-script keys an Arabic spelling of this Latin word can have: its
    consonant classes (with ch, zh, dj, ph read as one letter and as two: Muzhir is مزهر),
    and without a final construct t (Harakat = حركة)."""
    keys: list[str] = []
    for digraphs in (_LATIN_DIGRAPHS, _SAFE_DIGRAPHS):
        s = word
        for digraph, letter in digraphs:
            s = s.replace(digraph, letter)
        key = ortho_key(s.translate(_LATIN_CLASSES))
        keys.append(key)
        if len(word) > 3 and word[-1] == "t" and word[-2] in _VOWELS and len(key) > 1:
            keys.append(key[:-1])
    return tuple(dict.fromkeys(keys))
