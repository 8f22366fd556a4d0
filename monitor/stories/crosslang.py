"""Cross-language story linking: an Arabic (or Kurdish) report joins the English story of
the same event, though the two share no words.

What reports of one event share across languages is language-independent: the watched
actors and places they name (canonical names, whatever script the text was matched in),
the kind of incident (watchlist keywords, also canonical), the numbers in their lead
(casualties, amounts: digits, Arabic-Indic digits and number words read alike), the days
of the week their lead names, and their time. Those signals also say when two reports are
NOT one event, and that matters as much: the same actor is in the news several times a
day.

An article links to a story in another language when, against one of its recent reports:
- they are within LINK_WINDOW of each other;
- they share a watched actor, and at least two watched actors and places in all;
- nothing disagrees: where both name places, one is shared; where both name an incident
  type, one is shared; where both give numbers, or name days of the week, in their lead,
  one is shared;
- and facts beyond the actors support it: two shared places, incident types or numbers,
  counted one by one (the city and its province; the place and the kind of incident; the
  incident and the casualty count ...), or, when they share two actors, a place or an
  incident type (a lone number is weak: "2-1" is a football score).
And only when one story agrees best: when two stories agree equally, which event it is
cannot be told, and the report starts its own story rather than join the wrong one.
So a statement by an actor on a killing and one by the same actor on a football final stay
two stories (one name in common, or two names and nothing else); the same casualty count in
two provinces, or two incidents in one place of different kinds, too.

Cost is bounded like the text index: candidates come from a map of each actor to its most
recent stories (STORIES_PER_ACTOR, each with its MEMBERS_PER_STORY newest reports), looked
at only for articles no story took on text, and compared with small frozensets.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from ..match.normalize import normalize_text
from ..models import Hit

LINK_WINDOW = 36 * 3600.0  # seconds: reports of one event come within a day and a half
STORIES_PER_ACTOR = 16  # the most recent stories naming an actor are candidates
MEMBERS_PER_STORY = 4  # of each, the newest reports are compared
LEAD_CHARS = 800  # numbers are read from the title and this much of the body: the lead
_MIN_NUMBER, _MAX_NUMBER = 2, 1_000_000  # "one" says nothing; bigger is an id or a phone
_YEARS = range(1900, 2101)  # every report of the week names the year
_WORD = re.compile(r"\w+")
_CONJUNCTION = "و"  # Arabic "and" written onto the next word: وثلاثة


@dataclass(frozen=True)
class CrossFeatures:
    """The language-independent side of an article."""

    language: str = ""
    actors: frozenset[str] = frozenset()
    places: frozenset[str] = frozenset()
    incidents: frozenset[str] = frozenset()  # watchlist keywords: the kind of event
    numbers: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()  # days of the week the lead names, Monday = 0

    def linkable(self) -> bool:
        """Enough to link at all: a language, an actor and a second actor or place."""
        return bool(self.language and self.actors
                    and len(self.actors) + len(self.places) >= 2)

    def as_json(self) -> dict[str, Any]:
        return {"language": self.language, "actors": sorted(self.actors),
                "places": sorted(self.places), "incidents": sorted(self.incidents),
                "numbers": sorted(self.numbers), "days": sorted(self.days)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> CrossFeatures:
        if not data:
            return NONE
        return cls(language=str(data.get("language") or ""),
                   actors=frozenset(data.get("actors") or ()),
                   places=frozenset(data.get("places") or ()),
                   incidents=frozenset(data.get("incidents") or ()),
                   numbers=frozenset(int(n) for n in data.get("numbers") or ()),
                   days=frozenset(int(d) for d in data.get("days") or ()))


NONE = CrossFeatures()


@cache
def _words(file: str) -> dict[str, dict[str, int]]:
    """Language -> normalised word -> value, from a word list of monitor/data
    (number_words.yaml, weekdays.yaml)."""
    text = resources.files("monitor.data").joinpath(file).read_text("utf-8")
    raw = yaml.safe_load(text)
    tables: dict[str, dict[str, int]] = {}
    for lang, words in raw.items():
        if lang == "same_as":
            continue
        table = tables[lang] = {}
        for word, value in words.items():
            key = normalize_text(str(word)).text
            if table.setdefault(key, int(value)) != int(value):  # folded onto another word
                raise ValueError(f"{file}: {lang}: {word!r} normalises to "
                                 f"{key!r}, which already means {table[key]}")
    for lang, same in (raw.get("same_as") or {}).items():
        tables[lang] = tables[same]
    return tables


def _table(file: str, language: str) -> dict[str, int]:
    """The words of the article's language; all languages' when it is unknown."""
    tables = _words(file)
    if language:
        return tables.get(language, {})
    merged: dict[str, int] = {}
    for table in tables.values():
        merged.update(table)
    return merged


def _lead_words(title_norm: str, body_norm: str) -> set[str]:
    """The distinct words of the lead, also without the Arabic conjunction written onto
    them (وثلاثة: ثلاثة)."""
    words = set(_WORD.findall(f"{title_norm} {body_norm[:LEAD_CHARS]}"))
    return words | {w[1:] for w in words if w.startswith(_CONJUNCTION)}


def _values(lead: set[str], words: dict[str, int]) -> set[int]:
    """The values of the lead's words that the word list has."""
    return {words[w] for w in lead & words.keys()}


def _numbers(lead: set[str], language: str) -> frozenset[int]:
    found = _values(lead, _table("number_words.yaml", language))
    found.update(int(w) for w in lead if w.isdigit() and len(w) <= 7)
    return frozenset(n for n in found if _MIN_NUMBER <= n <= _MAX_NUMBER and n not in _YEARS)


def lead_numbers(title_norm: str, body_norm: str, language: str) -> frozenset[int]:
    """Counts and amounts in the lead, as integers: digits (normalisation folds
    Arabic-Indic ones) and the number words of the article's language (all languages'
    when it is unknown). Years and 1 are left out: every report has them."""
    return _numbers(_lead_words(title_norm, body_norm), language)


def lead_days(title_norm: str, body_norm: str, language: str) -> frozenset[int]:
    """The days of the week the lead names (Monday = 0)."""
    return frozenset(_values(_lead_words(title_norm, body_norm),
                             _table("weekdays.yaml", language)))


def cross_features(hits: Iterable[Hit], title_norm: str, body_norm: str,
                   language: str | None) -> CrossFeatures:
    hits = list(hits)
    language = (language or "").lower()
    lead = _lead_words(title_norm, body_norm)
    return CrossFeatures(
        language=language,
        actors=frozenset(h.entity for h in hits if h.kind == "actor"),
        places=frozenset(h.entity for h in hits if h.kind == "place"),
        incidents=frozenset(h.entity for h in hits if h.kind == "keyword"),
        numbers=_numbers(lead, language),
        days=frozenset(_values(lead, _table("weekdays.yaml", language))))


def _agree(shared: frozenset[Any], mine: frozenset[Any], theirs: frozenset[Any]) -> bool:
    """No disagreement: both say something, and nothing in common."""
    return bool(shared) or not (mine and theirs)


def agreement(a: CrossFeatures, b: CrossFeatures) -> int:
    """How strongly two reports in different languages are one event: 0 when they are not
    (see the module docstring for the rule), else the number of signals they share."""
    actors = a.actors & b.actors
    places = a.places & b.places
    if not actors or len(actors) + len(places) < 2:
        return 0
    incidents = a.incidents & b.incidents
    numbers = a.numbers & b.numbers
    if not (_agree(places, a.places, b.places) and _agree(incidents, a.incidents, b.incidents)
            and _agree(numbers, a.numbers, b.numbers)
            and _agree(a.days & b.days, a.days, b.days)):
        return 0
    named = len(places) + len(incidents)
    support = named + len(numbers)
    if support < 2 and not (len(actors) >= 2 and named):
        return 0
    return len(actors) + support


@dataclass(frozen=True)
class _Member:
    article_id: int
    at: float
    features: CrossFeatures


class CrossLinker:
    """Each actor's most recent stories with their newest reports: where an article in
    another language looks for its story. `alive(article_id, story_id, at)` tells whether a
    remembered report is still in that story in the index (evicted, rolled back and
    re-stored reports are skipped; the map is bounded, so they age out of it as newer
    stories come)."""

    def __init__(self, alive: Callable[[int, int, float], bool]):
        self._alive = alive
        self._by_actor: dict[str, OrderedDict[int, deque[_Member]]] = {}

    def note(self, article_id: int, story_id: int, at: float, f: CrossFeatures) -> None:
        """A report joined (or started) a story."""
        if not f.linkable():
            return
        member = _Member(article_id, at, f)
        for actor in f.actors:
            stories = self._by_actor.setdefault(actor, OrderedDict())
            members = stories.get(story_id)
            if members is None:
                members = stories[story_id] = deque(maxlen=MEMBERS_PER_STORY)
                if len(stories) > STORIES_PER_ACTOR:
                    stories.popitem(last=False)
            else:
                stories.move_to_end(story_id)
            members.append(member)

    def link(self, f: CrossFeatures, at: float) -> list[tuple[int, int]]:
        """(story, strength) of the story in another language this report is one event
        with, if one agrees best (an empty list, or one pair)."""
        if not f.linkable():
            return []
        best: dict[int, int] = {}
        seen: set[int] = set()  # a story naming two of its actors is compared once
        for actor in f.actors:
            stories = self._by_actor.get(actor)
            if not stories:
                continue
            for story_id, members in stories.items():
                if story_id in seen:
                    continue
                seen.add(story_id)
                for member in members:
                    other = member.features
                    if other.language == f.language or abs(member.at - at) > LINK_WINDOW:
                        continue
                    strength = agreement(f, other)
                    # Whether the report is still in the story is asked last: it is the
                    # costliest check, and few get that far.
                    if strength > best.get(story_id, 0) and self._alive(
                            member.article_id, story_id, member.at):
                        best[story_id] = strength
        ranked = sorted(best.items(), key=lambda item: -item[1])
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return []  # two events agree equally: which one is this?
        return ranked[:1]
