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
only in where the marks are.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.match.snippet import MARK_CLOSE, MARK_OPEN
from monitor.models import Hit

from .message import AlertMessage, split_marks

SentenceKey = tuple[str, str]  # (field, the snippet without marks)


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


class _Sentences:
    """The distinct sentences of an article's hits: who is in each, and its marks."""

    def __init__(self, hits: tuple[Hit, ...]) -> None:
        self.entities: dict[SentenceKey, set[str]] = {}
        self.spans: dict[SentenceKey, list[tuple[int, int]]] = {}
        self.keys: dict[int, SentenceKey] = {}
        for hit in hits:
            plain, spans = plain_and_spans(hit.snippet)
            key = (hit.field, plain)
            self.keys[id(hit)] = key
            self.entities.setdefault(key, set()).add(hit.entity)
            self.spans.setdefault(key, []).extend(spans)

    def best(self, hits: list[Hit]) -> SentenceKey:
        """The best sentence among `hits` (one entity's): see the module docstring."""
        def score(hit: Hit) -> tuple[bool, int, int]:
            key = self.keys[id(hit)]
            return (key[0] == "title", -len(self.entities[key]), hit.start)
        return self.keys[id(min(hits, key=score))]

    def marked(self, key: SentenceKey) -> str:
        return merge_marks(key[1], self.spans[key])


def alert_layout(message: AlertMessage) -> AlertLayout:
    """The lines an alert shows for `message`; see the module docstring."""
    by_entity: dict[str, list[Hit]] = {}
    for hit in message.hits:
        by_entity.setdefault(hit.entity, []).append(hit)
    sentences = _Sentences(message.hits)
    lines: dict[SentenceKey, list[Mention]] = {}
    places: list[Mention] = []
    for name in message.entities():
        hits = by_entity[name]
        mention = Mention(name, len(hits))
        if message.display_rank(hits[0]) == 3:  # DISPLAY_ORDER["place"]
            places.append(mention)
            continue
        lines.setdefault(sentences.best(hits), []).append(mention)
    return AlertLayout(
        lines=tuple(EntityLine(tuple(mentions), sentences.marked(key), key[0] == "title")
                    for key, mentions in lines.items()),
        places=tuple(places))


def mention_label(mention: Mention) -> str:
    """'Muqtada al-Sadr ×3' (plain text; renderers escape it)."""
    return f"{mention.name} ×{mention.count}" if mention.count > 1 else mention.name
