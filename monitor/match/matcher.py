"""Find watchlist entities in text.

Build once, match many times:

* Every alias (and every ``exclude`` phrase) of every entity is normalised and put into ONE
  Aho-Corasick automaton, which scans the normalised text once, whatever the watchlist size.
* Acronyms (``AAH``, ``PMF``: 2-6 capital Latin letters) go into a second automaton that
  scans the original text, case-sensitively, because "jam" is not "JAM".
* Candidates are kept only at whole-token boundaries, then mapped back to original offsets.

Design decisions (tested in tests/test_matcher.py):

* Arabic proclitics (و ف ب ك ل, combined as و/ف + ب/ك/ل, and لل for لِ + ال): the automaton
  also holds each Arabic alias with those prefixes. The reported span covers the name WITHOUT
  the proclitic letters, so "لعصائب أهل الحق" reports "عصائب أهل الحق". For لل + name the
  span is the name minus its alef ("للحشد" reports "لحشد"), since ل replaces the ال's alef.
* An English possessive does not break a match: "al-Sadr's" reports "al-Sadr".
* Overlaps: for one entity, a match contained in a longer match of the same entity is
  dropped (so the longest match at a position wins). Matches of DIFFERENT entities are all
  reported even when they overlap ("Sadr" inside "Sadr City"): each is a distinct watch item,
  and an entity's ``exclude`` list is the tool for unwanted overlaps.
* A plural or suffixed acronym is not a whole token: "PMFs" does not match PMF.
* ``how`` is "exact" when the original slice equals the alias (for prefix terms: starts with
  the stem verbatim), otherwise "normalised".
* An alias ending in ``*`` is a prefix for any kind of entity, not only keywords.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import ahocorasick

from ..config import Entity
from ..models import Hit, Match
from .normalize import APOSTROPHES, Normalised, normalize, normalize_text
from .snippet import make_snippet

__all__ = ["Matcher"]

_ACRONYM = re.compile(r"[A-Z]{2,6}")
MIN_ALIAS_CHARS = 3

# Arabic proclitics: an optional conjunction, then an optional preposition.
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ك", "ل")
_ARTICLE = "ال"


@dataclass(frozen=True)
class _Entry:
    """What one automaton key stands for."""

    entity: int  # index into Matcher._entities
    alias: str  # the alias as configured (for `how` and messages)
    length: int  # length of the key, in normalised characters
    skip: int  # leading proclitic characters of the key that are not part of the name
    prefix: bool  # alias ended with "*": extend the match to the end of the word
    exclude: bool  # an exclude phrase of the entity, not an alias


@dataclass(frozen=True)
class _Span:
    """A candidate, in original-text offsets."""

    entity: int
    start: int
    end: int
    how: str


def _is_arabic(key: str) -> bool:
    return "\u0600" <= key[0] <= "\u06ff"


def _proclitic_forms(key: str) -> Iterator[tuple[str, int]]:
    """(prefixed key, number of leading characters not part of the name) for an Arabic key."""
    for conj in _CONJUNCTIONS:
        for prep in _PREPOSITIONS:
            if not conj and not prep:
                continue
            if prep == "ل" and key.startswith(_ARTICLE):
                # لِ + الحشد is written للحشد: the article's alef disappears.
                yield conj + "ل" + key[1:], len(conj) + 1
            else:
                yield conj + prep + key, len(conj) + len(prep)


class Matcher:
    """Finds the entities of a watchlist in text. Build once; `find` is thread-safe."""

    def __init__(self, entities: Iterable[Entity]):
        self._entities: list[Entity] = list(entities)
        self.problems: list[str] = []
        self._keys: dict[str, list[_Entry]] = {}
        self._acronyms: dict[str, list[_Entry]] = {}
        # (form, key) -> (entity index, alias) that claimed it first, to report collisions;
        # form is "acronym", "prefix" or "" since those kinds of key never meet in a match.
        self._owners: dict[tuple[str, str], tuple[int, str]] = {}
        self._reported: set[tuple[str, int]] = set()  # (key, entity): one problem each
        for index, entity in enumerate(self._entities):
            self._add_entity(index, entity)
        self._automaton = self._build(self._keys)
        self._acronym_automaton = self._build(self._acronyms)

    # ------------------------------------------------------------ building

    def _add_entity(self, index: int, entity: Entity) -> None:
        for alias in dict.fromkeys(entity.aliases):
            if _ACRONYM.fullmatch(alias):
                self._add_acronym(index, alias)
            else:
                self._add_alias(index, entity, alias, exclude=False)
        for phrase in dict.fromkeys(entity.exclude):
            self._add_alias(index, entity, phrase, exclude=True)

    def _add_acronym(self, index: int, alias: str) -> None:
        owner = self._owners.setdefault(("acronym", alias), (index, alias))
        if owner[0] != index:
            self._collision(owner, index, alias, alias)
        entry = _Entry(index, alias, len(alias), 0, prefix=False, exclude=False)
        self._acronyms.setdefault(alias, []).append(entry)

    def _add_alias(self, index: int, entity: Entity, alias: str, *, exclude: bool) -> None:
        prefix = not exclude and alias.endswith("*")
        key = normalize(alias.rstrip("*") if prefix else alias)[0].strip()
        what = "exclude phrase" if exclude else "alias"
        if not key:
            self.problems.append(f"{entity.kind} {entity.name!r}: {what} {alias!r} is empty "
                                 "after normalisation; ignored")
            return
        if not exclude:
            self._check_alias(index, entity, alias, key, prefix)
        forms = [(key, 0)]
        if _is_arabic(key):
            forms.extend(_proclitic_forms(key))
        for form, skip in forms:
            entries = self._keys.setdefault(form, [])
            entry = _Entry(index, alias, len(form), skip, prefix, exclude)
            # Two aliases of one entity may normalise alike ("Asa'ib", "Asaib"): keep one.
            if not any(e.entity == index and e.exclude == exclude and e.skip == skip
                       and e.prefix == prefix for e in entries):
                entries.append(entry)

    def _check_alias(self, index: int, entity: Entity, alias: str, key: str,
                     prefix: bool) -> None:
        if len(key) < MIN_ALIAS_CHARS:
            self.problems.append(
                f"{entity.kind} {entity.name!r}: alias {alias!r} is too short "
                f"({len(key)} characters after normalisation) and will match unrelated "
                "words; write acronyms in capitals (e.g. KH) to match them case-sensitively")
        owner = self._owners.setdefault(("prefix" if prefix else "", key), (index, alias))
        if owner[0] != index:
            self._collision(owner, index, alias, key)

    def _collision(self, owner: tuple[int, str], index: int, alias: str, key: str) -> None:
        if (key, index) in self._reported:
            return
        self._reported.add((key, index))
        first, second = self._entities[owner[0]], self._entities[index]
        self.problems.append(
            f"alias {alias!r} of {second.kind} {second.name!r} and alias {owner[1]!r} of "
            f"{first.kind} {first.name!r} are the same after normalisation ({key!r}); "
            "both entities will be reported for it")

    @staticmethod
    def _build(keys: dict[str, list[_Entry]]) -> ahocorasick.Automaton | None:
        if not keys:
            return None  # pyahocorasick refuses to search an empty automaton
        automaton = ahocorasick.Automaton()
        for key, entries in keys.items():
            automaton.add_word(key, tuple(entries))
        automaton.make_automaton()
        return automaton

    # ------------------------------------------------------------ matching

    def find(self, text: str) -> list[Match]:
        """Every watchlist mention in `text`, sorted by start; offsets index `text` as given."""
        if not text:
            return []
        spans, excluded = self._scan_normalised(text)
        spans.extend(self._scan_acronyms(text))
        kept = _drop_contained(_drop_excluded(spans, excluded))
        return [self._to_match(text, span) for span in kept]

    def hits(self, text: str, field: str = "body") -> list[Hit]:
        """`find`, with the sentence around each match as a snippet.

        `field` ("title" or "body") is recorded on each Hit: it says which text the offsets
        index.
        """
        return [Hit(entity=m.entity, kind=m.kind, matched_text=m.text, start=m.start,
                    end=m.end, snippet=make_snippet(text, m.start, m.end), how=m.how,
                    field=field)
                for m in self.find(text)]

    def _to_match(self, text: str, span: _Span) -> Match:
        entity = self._entities[span.entity]
        return Match(entity=entity.name, kind=entity.kind, text=text[span.start:span.end],
                     start=span.start, end=span.end, how=span.how)

    def _scan_normalised(self, text: str) -> tuple[list[_Span], dict[int, list[tuple[int, int]]]]:
        """Alias matches and exclude-phrase occurrences (by entity), in original offsets."""
        spans: list[_Span] = []
        excluded: dict[int, list[tuple[int, int]]] = {}
        if self._automaton is None:
            return spans, excluded
        normalised = normalize_text(text)
        norm, original = normalised.text, normalised.original
        size = len(norm)
        for last, entries in self._automaton.iter(norm):
            for entry in entries:
                start = last + 1 - entry.length
                end = last + 1
                if start > 0 and norm[start - 1].isalnum():
                    continue  # not at the start of a token
                if entry.prefix:
                    while end < size and norm[end].isalnum():
                        end += 1
                elif end < size and norm[end].isalnum() and not _is_possessive(
                        text, normalised, end):
                    continue
                orig_start = original(start + entry.skip)
                orig_end = original(end - 1) + 1
                if entry.exclude:
                    excluded.setdefault(entry.entity, []).append((orig_start, orig_end))
                else:
                    how = _how(text[orig_start:orig_end], entry)
                    spans.append(_Span(entry.entity, orig_start, orig_end, how))
        return spans, excluded

    def _scan_acronyms(self, text: str) -> Iterator[_Span]:
        if self._acronym_automaton is None:
            return
        size = len(text)
        for last, entries in self._acronym_automaton.iter(text):
            end = last + 1
            start = end - entries[0].length
            if (start > 0 and text[start - 1].isalnum()) or (end < size and text[end].isalnum()):
                continue  # "jam" in "pajamas", "PMF" in "PMFs"
            for entry in entries:
                yield _Span(entry.entity, start, end, "exact")


def _is_possessive(text: str, normalised: Normalised, end: int) -> bool:
    """True when the normalised text at `end` is the "s" of an "'s" whose apostrophe
    normalisation removed (so "al-Sadr's" still ends a token after "al-Sadr")."""
    norm = normalised.text
    if norm[end] != "s" or (end + 1 < len(norm) and norm[end + 1].isalnum()):
        return False
    gap = text[normalised.original(end - 1) + 1:normalised.original(end)]
    return any(ch in APOSTROPHES for ch in gap)


def _how(original: str, entry: _Entry) -> str:
    if entry.prefix:
        return "exact" if original.startswith(entry.alias.rstrip("*")) else "normalised"
    return "exact" if original == entry.alias else "normalised"


def _drop_excluded(spans: list[_Span], excluded: dict[int, list[tuple[int, int]]]
                   ) -> list[_Span]:
    """Drop an entity's matches that lie inside one of its exclude phrases ("Sadr City")."""
    if not excluded:
        return spans
    # Per entity: exclude ranges sorted by start, with the furthest end reached so far, so
    # "is some range [lo, hi] around this span" is one bisection (articles may repeat a
    # phrase hundreds of times).
    index: dict[int, tuple[list[int], list[int]]] = {}
    for entity, ranges in excluded.items():
        ranges.sort()
        reach = list(itertools.accumulate((hi for _, hi in ranges), max))
        index[entity] = ([lo for lo, _ in ranges], reach)
    kept = []
    for span in spans:
        starts, reach = index.get(span.entity, ((), ()))
        i = bisect.bisect_right(starts, span.start) - 1
        if i < 0 or reach[i] < span.end:
            kept.append(span)
    return kept


def _drop_contained(spans: list[_Span]) -> list[_Span]:
    """Sort, de-duplicate, and drop matches inside a longer match of the same entity."""
    # Longest first at each start, so a containing span is seen before what it contains.
    ordered = sorted(set(spans), key=lambda s: (s.start, -s.end, s.entity, s.how))
    kept: list[_Span] = []
    reach: dict[int, int] = {}  # entity -> furthest end of its kept spans
    for span in ordered:
        # Every kept span of this entity starts at or before this one, so reaching as far
        # means containing it. This also drops the same place found twice by two aliases
        # ("exact" sorts first and wins).
        if reach.get(span.entity, -1) >= span.end:
            continue
        reach[span.entity] = span.end if span.entity not in reach else max(
            reach[span.entity], span.end)
        kept.append(span)
    return kept
