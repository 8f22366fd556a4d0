"""What an alert about one article shows: each watched entity once, with one sentence.

An article with twelve hits used to become twelve bullets: the same name three times, the
same sentence once per entity in it. An analyst wants, per article, who is in it, the one
sentence that says most about them, and how often they come up. So:

* Each entity gets its *best sentence*: a body sentence before the title (the title is
  the headline already: an entity named only there is shown as "in the headline"), then
  the one naming the most watched entities (places included: "Sadr's men clashed with AAH
  in Maysan" beats "Sadr spoke"), then the earliest.
* Entities whose best sentence is the same share one line and the sentence is shown once,
  with every watched name in it marked.
* A count when an entity is mentioned more than once ("×3").
* Order: people, groups, keywords and rules (`AlertMessage.entities`); places are listed
  compactly after them, without a sentence of their own (a place alone never alerts, so a
  place is context; its mentions in the sentences shown are marked).

Snippets are compared without their marks: the matcher stores one snippet per hit and
marks only that hit's words, so two entities in one sentence give two snippets that differ
only in where the marks are. A sentence longer than a snippet is cut around each match
differently ("…" at the cuts); such crops are joined back when one contains the other or
they overlap by MIN_OVERLAP characters (`_Sentence.absorb`).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.match.snippet import MARK_CLOSE, MARK_OPEN
from monitor.models import Hit

from .message import ELLIPSIS, AlertMessage, split_marks


@dataclass(frozen=True)
class Mention:
    """A watched entity and how many times the article names it."""

    name: str
    count: int


@dataclass(frozen=True)
class EntityLine:
    """Entities that share their best sentence, and that sentence (marks as ⟦⟧)."""

    mentions: tuple[Mention, ...]
    snippet: str
    in_title: bool  # the sentence is the headline: renderers say so instead of repeating it


@dataclass(frozen=True)
class AlertLayout:
    lines: tuple[EntityLine, ...]  # people, groups, keywords and rules
    places: tuple[Mention, ...]


def plain_and_spans(snippet: str) -> tuple[str, list[tuple[int, int]]]:
    """The snippet without marks, and where the marked words are in it."""
    text: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for part, marked in split_marks(snippet):
        if marked:
            spans.append((offset, offset + len(part)))
        text.append(part)
        offset += len(part)
    return "".join(text), spans


def merge_marks(plain: str, spans: list[tuple[int, int]]) -> str:
    """`plain` with every span marked ⟦…⟧; overlapping or touching spans become one."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    pos = 0
    for start, end in merged:
        out += [plain[pos:start], MARK_OPEN, plain[start:end], MARK_CLOSE]
        pos = end
    out.append(plain[pos:])
    return "".join(out)


MIN_OVERLAP = 40  # characters two crops of one long sentence must share to be joined


def _shift(spans: list[tuple[int, int]], by: int) -> list[tuple[int, int]]:
    return [(start + by, end + by) for start, end in spans]


def _overlap(left: str, right: str) -> int:
    """The longest suffix of `left` that begins `right`, if ≥ MIN_OVERLAP; else 0."""
    for size in range(min(len(left), len(right)) - 1, MIN_OVERLAP - 1, -1):
        if left.endswith(right[:size]):
            return size
    return 0


@dataclass
class _Sentence:
    """One sentence of the article as the hits' snippets show it: its text without the
    "…" of a cut (`cut_before`/`cut_after` say where it was cut), the marks of every hit
    in it and the entities they belong to."""

    field: str
    text: str
    spans: list[tuple[int, int]]
    entities: set[str]
    cut_before: bool
    cut_after: bool

    @classmethod
    def of(cls, hit: Hit) -> _Sentence:
        plain, spans = plain_and_spans(hit.snippet)
        before, after = plain.startswith(ELLIPSIS), plain.endswith(ELLIPSIS)
        text = plain[len(ELLIPSIS) if before else 0: len(plain) - (len(ELLIPSIS) if after
                                                                    else 0)]
        return cls(hit.field, text, _shift(spans, -len(ELLIPSIS) if before else 0),
                   {hit.entity}, before, after)

    def absorb(self, other: _Sentence) -> bool:
        """Take in `other` when it is this sentence: the same text, or — for a sentence too
        long for one snippet, which the matcher cuts around each match differently — a
        part of it or a part overlapping it by MIN_OVERLAP characters. False otherwise."""
        if other.field != self.field:
            return False
        cut = self.cut_before or self.cut_after or other.cut_before or other.cut_after
        if other.text == self.text or (cut and len(other.text) >= MIN_OVERLAP
                                       and other.text in self.text):
            self.spans += _shift(other.spans, self.text.index(other.text))
        elif cut and len(self.text) >= MIN_OVERLAP and self.text in other.text:
            self.spans = _shift(self.spans, other.text.index(self.text)) + other.spans
            self.text, self.cut_before, self.cut_after = (other.text, other.cut_before,
                                                          other.cut_after)
        elif cut and (size := _overlap(self.text, other.text)):  # other continues this
            self.spans += _shift(other.spans, len(self.text) - size)
            self.text, self.cut_after = self.text + other.text[size:], other.cut_after
        elif cut and (size := _overlap(other.text, self.text)):  # other comes before this
            self.spans = _shift(self.spans, len(other.text) - size) + other.spans
            self.text, self.cut_before = other.text + self.text[size:], other.cut_before
        else:
            return False
        self.entities |= other.entities
        return True

    def marked(self) -> str:
        return ((ELLIPSIS if self.cut_before else "") + merge_marks(self.text, self.spans)
                + (ELLIPSIS if self.cut_after else ""))


class _Sentences:
    """The distinct sentences of an article's hits: who is in each, and its marks."""

    def __init__(self, hits: tuple[Hit, ...]) -> None:
        self.all: list[_Sentence] = []
        self.of_hit: dict[int, int] = {}  # id(hit) -> index in `all`
        for hit in hits:
            piece = _Sentence.of(hit)
            index = next((i for i, s in enumerate(self.all) if s.absorb(piece)), None)
            if index is None:
                index = len(self.all)
                self.all.append(piece)
            self.of_hit[id(hit)] = index

    def best(self, hits: list[Hit]) -> int:
        """The best sentence among `hits` (one entity's): see the module docstring."""
        def score(hit: Hit) -> tuple[bool, int, int]:
            sentence = self.all[self.of_hit[id(hit)]]
            return (sentence.field == "title", -len(sentence.entities), hit.start)
        return self.of_hit[id(min(hits, key=score))]


def alert_layout(message: AlertMessage) -> AlertLayout:
    """The lines an alert shows for `message`; see the module docstring."""
    by_entity: dict[str, list[Hit]] = {}
    for hit in message.hits:
        by_entity.setdefault(hit.entity, []).append(hit)
    sentences = _Sentences(message.hits)
    lines: dict[int, list[Mention]] = {}
    places: list[Mention] = []
    for name in message.entities():
        hits = by_entity[name]
        mention = Mention(name, len(hits))
        if message.display_rank(hits[0]) == 3:  # DISPLAY_ORDER["place"]
            places.append(mention)
            continue
        lines.setdefault(sentences.best(hits), []).append(mention)
    return AlertLayout(
        lines=tuple(EntityLine(tuple(mentions), sentences.all[index].marked(),
                               sentences.all[index].field == "title")
                    for index, mentions in lines.items()),
        places=tuple(places))


def mention_label(mention: Mention) -> str:
    """'Muqtada al-Sadr ×3' (plain text; renderers escape it)."""
    return f"{mention.name} ×{mention.count}" if mention.count > 1 else mention.name
