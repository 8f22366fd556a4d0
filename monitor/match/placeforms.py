"""Spelling variants of single-word place names, with a guard against English words.

Writers spell Iraqi towns many ways: Amarah/Amara, Maysan/Maisan, Fallujah/Falluja,
Hillah/Hilla, Nasiriyah/Nasiriya. A place's single-word Latin aliases are reduced to a
*place key* (doubled letters collapsed, ai/ay/ei/ey -> i, a final h after a vowel dropped;
data/nameforms.yaml), and a capitalised word of a text with the same key is the place
(how="variant"). Only places, only whole capitalised words, and never a common English word
(data/english_common_words.txt): "Cut" is not Kut, a sentence-initial "Hit" is not Hit.

The same guard applies to single-word place aliases that are themselves English words or
of three letters or fewer (Hit, Ana, Kut): they count only when capitalised in the text, and
an English word ("Hit") not at the start of a sentence either.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .langdata import language_data
from .names import Span
from .variants import ortho_key

__all__ = ["GUARD_CAPITAL", "GUARD_SENTENCE", "PlaceVariants", "alias_guard", "guard_ok",
           "place_key"]

GUARD_CAPITAL = 1  # the alias must be capitalised in the text
GUARD_SENTENCE = 2  # ... and not start a sentence (it is an English word)
SHORT_PLACE = 3  # letters
_LATIN_WORD = re.compile(r"[a-z]+")
# A capital and the lower-case letters after it, as the tail: also inside a longer word
# ("McDonald" gives "c" and "onald"), which _occurrences rejects. Without look-arounds: a
# pattern that begins with a look-behind is tried at every character, 3x slower.
_CAPITAL_TAIL = re.compile("[A-Z]([a-z]+)")
_CACHE_LIMIT = 50_000
_MARK_CAPITALS = str.maketrans(dict.fromkeys(range(65, 91), "\x00"))
_MARKED_TAIL = re.compile("\x00([a-z]+)")  # after _MARK_CAPITALS: a capitalised word's tail


def place_key(word: str) -> str:
    """The key a single-word place name is compared by (see the module docstring)."""
    data = language_data()
    key = ortho_key(word)
    for old, new in data.place_vowel_folds:
        key = key.replace(old, new)
    if len(key) > 3 and key.endswith("h") and key[-2] in data.place_final_h_after:
        key = key[:-1]
    return ortho_key(key)


def alias_guard(kind: str, key: str) -> int:
    """The guard of an alias key: 0, GUARD_CAPITAL or GUARD_SENTENCE."""
    if kind != "place" or not _LATIN_WORD.fullmatch(key):
        return 0
    if key in language_data().english_words:
        return GUARD_SENTENCE
    return GUARD_CAPITAL if len(key) <= SHORT_PLACE else 0


def guard_ok(text: str, start: int, guard: int) -> bool:
    """Whether a guarded alias at original offset `start` counts."""
    if not text[start].isupper():
        return False
    if guard == GUARD_SENTENCE:
        k = start
        while k > 0 and text[k - 1].isspace():
            k -= 1
        return k > 0 and text[k - 1] not in ".!?:\"'“‘«"
    return True


def _not_a_place(word: str) -> bool:
    """An English word, a given name or an honorific is never a place variant ("Said",
    "Sayyid", "Ali")."""
    data = language_data()
    return (word in data.english_words or word in data.honorifics_latin
            or data.is_given_name(word))


class PlaceVariants:
    """Single-word place names by place key; `scan` finds their variant spellings."""

    def __init__(self) -> None:
        self._places: dict[str, list[tuple[int, str]]] = {}  # place key -> (entity, alias)
        self._tails: set[str] = set()  # place keys without their first letter
        self._keys: set[str] = set()  # the aliases as normalised: found by the automaton
        self._seen: dict[str, bool] = {}  # word tail -> can it be a place (see scan)
        # capitalised word, lower-cased -> the (entity, alias) it is a variant of
        self._words: dict[str, tuple[tuple[int, str], ...]] = {}

    def __bool__(self) -> bool:
        return bool(self._places)

    def add(self, index: int, alias: str, key: str) -> None:
        if not _LATIN_WORD.fullmatch(key) or len(key) <= SHORT_PLACE:
            return
        if key in language_data().english_words:
            return
        self._keys.add(key)
        folded = place_key(key)
        self._tails.add(folded[1:])
        entries = self._places.setdefault(folded, [])
        if not any(e == index for e, _ in entries):
            entries.append((index, alias))

    def scan(self, cased: str, original: Callable[[int], int]) -> Iterator[Span]:
        """Variant spellings of the places in `cased` (normalised text with its capitals),
        in the offsets `original` maps normalised indices to.

        The capitalised words are found as their lower-case tails after a marked capital
        (one translate and one literal-prefix regex pass, as in names.py), and only a tail
        whose place key is a place's without its first letter is looked at further."""
        if cased.isascii():
            tails = set(_MARKED_TAIL.findall(cased.translate(_MARK_CAPITALS)))
        else:
            tails = set(_CAPITAL_TAIL.findall(cased))  # (str.translate is slow on non-ASCII)
        seen = self._seen
        for tail in tails:
            maybe = seen.get(tail)
            if maybe is None:
                if len(seen) > _CACHE_LIMIT:
                    self._seen = seen = {}
                maybe = seen[tail] = place_key(tail) in self._tails
            if maybe:
                yield from self._occurrences(cased, tail, original)

    def _occurrences(self, cased: str, tail: str, original: Callable[[int], int]
                     ) -> Iterator[Span]:
        size = len(tail)
        at = cased.find(tail)
        while at >= 0:
            begin, end = at - 1, at + size
            at = cased.find(tail, end)
            if begin < 0 or not cased[begin].isupper() or (
                    begin > 0 and cased[begin - 1].isalnum()) or (
                    end < len(cased) and cased[end].isalnum()):
                continue
            places = self._variant_of(cased[begin:end].lower())
            if places:
                orig_start, orig_end = original(begin), original(end - 1) + 1
                for entity, alias in places:
                    yield Span(entity, orig_start, orig_end, "variant", False, alias)

    def _variant_of(self, word: str) -> tuple[tuple[int, str], ...]:
        """The places a capitalised word (lower-cased) is a variant spelling of: decided
        once per word, then remembered (a text names its places again and again)."""
        places = self._words.get(word)
        if places is None:
            if len(self._words) > _CACHE_LIMIT:
                self._words = {}  # replaced, not cleared: a scan in another thread keeps its own
            places = () if word in self._keys or _not_a_place(word) else tuple(
                self._places.get(place_key(word), ()))
            self._words[word] = places
        return places
