"""The alert message handed to every channel, and text helpers the renderers share.

Everything in an `AlertMessage` except the entity names comes from a web page, so it is
untrusted: each renderer escapes it for its own format (Slack mrkdwn, HTML, mail headers).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.match.snippet import MARK_CLOSE, MARK_OPEN
from monitor.models import Hit

if TYPE_CHECKING:
    from .timeline import Timeline

ELLIPSIS = "…"
# The matcher marks the matched words in a snippet as ⟦match⟧; rows stored by older
# versions have **match**. Both are read.
_MARK = re.compile(rf"\*\*(.+?)\*\*|{MARK_OPEN}(.+?){MARK_CLOSE}", re.DOTALL)
# Unicode categories that can break a line or a header: controls (incl. CR, LF, NEL, TAB)
# and the line/paragraph separators U+2028/U+2029, which some parsers treat as newlines.
_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_SPACES = re.compile(r"\s+")
# Invisible format characters (category Cf) that Arabic text needs and keeps: zero-width
# non-joiner/joiner (letter shaping), the left-to-right, right-to-left and Arabic letter
# marks (they only set the direction of neighbouring punctuation and digits), and the
# Arabic number signs and end-of-ayah marks that are written before digits.
_KEPT_FORMAT = frozenset("\u200c\u200d\u200e\u200f\u061c\u0600\u0601\u0602\u0603"
                         "\u0604\u0605\u06dd\u08e2")


@dataclass(frozen=True)
class Report:
    """One outlet's article about a story, as listed under "also reported by", "earlier
    report", in digests and in throttle summaries."""

    source: str
    title: str
    url: str
    published: str | None = None
    # Set when this report rides on a message about another story: that story's headline.
    story: str | None = None


# The order in which an alert lists what it found: who (people, then groups), what
# (keywords and rules), then where (places, compactly: a place alone never alerts).
DISPLAY_ORDER = {"person": 0, "group": 1, "keyword": 2, "rule": 2, "place": 3}


@dataclass(frozen=True)
class AlertMessage:
    """One article worth an alert, as every channel renders it."""

    title: str  # article title (may be Arabic)
    url: str
    source: str  # outlet name
    published: str | None  # UTC ISO 8601
    hits: tuple[Hit, ...]
    language: str | None = None
    test: bool = False  # sent by `monitor test-alert`: rendered clearly as a test
    # Later reports of stories this channel already alerted on (one event, one alert).
    also: tuple[Report, ...] = ()
    # Earlier reports of this story, when this one alerts because of a new entity.
    earlier: tuple[Report, ...] = ()
    kind: str = "alert"  # alert | notice (operator source-health message, no hits)
    # Casefolded names of the watched actors that are people (`type: person` in the
    # watchlist): they are listed before groups.
    people: frozenset[str] = frozenset()

    def display_rank(self, hit: Hit) -> int:
        """0 people, 1 groups, 2 keywords and rules, 3 places (see DISPLAY_ORDER)."""
        if hit.kind == "actor":
            return 0 if hit.entity.casefold() in self.people else 1
        return DISPLAY_ORDER.get(hit.kind, 2)

    def entities(self) -> list[str]:
        """Distinct entity names: people, groups, keywords/rules, then places; within each,
        the most mentioned first, then in order of appearance."""
        mentions: dict[str, int] = {}
        for hit in self.hits:
            mentions[hit.entity] = mentions.get(hit.entity, 0) + 1
        ranks = {h.entity: self.display_rank(h) for h in reversed(self.hits)}
        first = {name: i for i, name in enumerate(mentions)}
        return sorted(mentions, key=lambda n: (ranks[n], -mentions[n], first[n]))

    def named(self) -> list[str]:
        """`entities()` without places: who and what the alert is about (subject lines)."""
        place = {h.entity for h in self.hits if self.display_rank(h) == DISPLAY_ORDER["place"]}
        return [name for name in self.entities() if name not in place]

    def ordered_hits(self) -> list[Hit]:
        """Hits in display order (see `entities`), repeats dropped.

        The same entity matched twice in one sentence yields two hits with one snippet;
        showing that snippet twice would only add noise.
        """
        order = {name: i for i, name in enumerate(self.entities())}
        ordered = sorted(self.hits, key=lambda h: order[h.entity])  # sort is stable
        seen: set[tuple[str, str]] = set()
        out: list[Hit] = []
        for hit in ordered:
            key = (hit.entity, hit.snippet)
            if key not in seen:
                seen.add(key)
                out.append(hit)
        return out


@dataclass(frozen=True)
class StoryEntry:
    """One story in a digest or summary: its first report, the other outlets, who is in it."""

    first: Report
    others: tuple[Report, ...] = ()
    entities: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestMessage:
    """Many stories in one message: a scheduled digest, or the throttle's overflow summary.

    `sections` are (heading, stories); a digest has one section per watched entity, a
    summary one section without heading.
    """

    title: str
    kind: str  # digest | summary
    sections: tuple[tuple[str, tuple[StoryEntry, ...]], ...]
    also: tuple[Report, ...] = ()
    test: bool = False
    # Articles a day per actor over the last weeks (email digests draw it as a chart).
    timeline: Timeline | None = None


Message = AlertMessage | DigestMessage


def with_people(message: Message, people: frozenset[str]) -> Message:
    """`message` knowing which actors are people (alerts list them before groups)."""
    if isinstance(message, AlertMessage) and people:
        return replace(message, people=people)
    return message


# ---------------------------------------------------------------- plain-text helpers


def _visible(ch: str) -> str:
    category = unicodedata.category(ch)
    if category in _BREAKING_CATEGORIES:
        return " "
    if category == "Cf" and ch not in _KEPT_FORMAT:
        return ""
    return ch


def one_line(text: str | None) -> str:
    """`text` with every control/line-break character turned into a space, runs collapsed,
    and invisible format characters removed.

    Used for anything that must stay on one line: mail headers (so a title can never
    inject a header), Slack headlines and snippets (so they cannot break our layout).
    Removed: the bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069), which
    would let a headline display reordered text ("RLO" turns "exe.gnp" into "png.exe"),
    zero-width spaces and joiners used to smuggle or disguise text (U+200B, U+2060,
    U+FEFF, tag characters); kept: what Arabic needs (see `_KEPT_FORMAT`). Our renderers
    add their own isolates after this, around text they know is Arabic.
    """
    if not text:
        return ""
    if text.isascii() and text.isprintable():
        return text.strip() if "  " not in text else _SPACES.sub(" ", text).strip()
    cleaned = "".join(map(_visible, text))
    return _SPACES.sub(" ", cleaned).strip()


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in "…" when something was cut."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    return text[: limit - 1].rstrip() + ELLIPSIS


def truncate_words(text: str, limit: int, slack: int = 20) -> str:
    """Like `truncate`, but cut between words when a space is within `slack` characters."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit - 1 - slack and space > 0:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def is_arabic_letter(ch: str) -> bool:
    cp = ord(ch)
    return (0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F or 0x08A0 <= cp <= 0x08FF
            or 0xFB50 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF)


def mostly_arabic(text: str) -> bool:
    """True when more than half of the letters in `text` are Arabic script."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return False
    return sum(map(is_arabic_letter, letters)) * 2 > len(letters)


def is_rtl(text: str, language: str | None) -> bool:
    """Should `text` be laid out right-to-left? Arabic-language articles always are."""
    return (language or "").lower().startswith("ar") or mostly_arabic(text)


def format_published(published: str | None) -> str | None:
    """'2024-05-01T09:30:00Z' -> '2024-05-01 09:30 UTC'; unparseable text is returned as is."""
    if not published:
        return None
    try:
        when = datetime.fromisoformat(published.strip())
    except ValueError:
        return one_line(published)
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


MAX_NAME_CHARS = 30  # one name in a subject line; longer ones are cut
MAX_NAMES_CHARS = 50  # all names in a subject line: the headline needs the rest


def headline_names(names: list[str], most: int = 3) -> str:
    """'A, B, C +2': at most `most` names (fewer when they would crowd out the headline)
    and how many more there are. For subject lines and notifications."""
    cut = [truncate(one_line(n), MAX_NAME_CHARS) for n in names]
    shown = cut[:most]
    while len(shown) > 1 and len(", ".join(shown)) > MAX_NAMES_CHARS:
        shown.pop()
    extra = len(cut) - len(shown)
    return ", ".join(shown) + (f" +{extra}" if extra else "")


RLI, PDI = "\u2067", "\u2069"  # right-to-left isolate, pop directional isolate


def isolate_rtl(text: str, language: str | None = None) -> str:
    """Arabic text wrapped in a right-to-left isolate, other text as is.

    Slack lays every line out left to right: an Arabic headline ending in "?" or a number
    then shows the "?" on the wrong side, and the " — Outlet" after it can land in the
    middle. Inside RLI…PDI the Arabic run is laid out right to left as one unit. Only for
    text that went through `one_line` (which removes any bidi control it brought along),
    so every isolate is ours and closed.
    """
    return f"{RLI}{text}{PDI}" if text and is_rtl(text, language) else text


def is_web_url(url: str) -> bool:
    """Only http(s) URLs become links; anything else (javascript:, mailto:) stays text."""
    return bool(re.match(r"^https?://[^\s/]+", url or "", re.IGNORECASE))


# ---------------------------------------------------------------- snippet segments


Segment = tuple[str, bool]  # (text, is the matched part)


def split_marks(snippet: str) -> list[Segment]:
    """'a ⟦b⟧ c' (or 'a **b** c') -> [('a ', False), ('b', True), (' c', False)].
    A lone mark stays text."""
    segments: list[Segment] = []
    pos = 0
    for m in _MARK.finditer(snippet):
        if m.start() > pos:
            segments.append((snippet[pos:m.start()], False))
        segments.append((m.group(1) or m.group(2), True))
        pos = m.end()
    if pos < len(snippet):
        segments.append((snippet[pos:], False))
    return segments


def window(segments: list[Segment], limit: int) -> list[Segment]:
    """At most `limit` characters of the snippet, kept around the first match.

    A long snippet is cut so the matched words stay visible; "…" marks each cut
    (counted in `limit`).
    """
    total = sum(len(text) for text, _ in segments)
    if total <= limit:
        return segments
    budget = max(limit - 2, 1)  # room for a leading and a trailing "…"
    start = 0
    offset = 0
    for text, bold in segments:
        if bold:
            if offset + len(text) > budget:  # the match would be cut off: centre on it
                start = max(0, min(offset - budget // 4, total - budget))
            break
        offset += len(text)
    end = start + budget
    out: list[Segment] = [(ELLIPSIS, False)] if start > 0 else []
    offset = 0
    for text, bold in segments:
        lo, hi = max(start - offset, 0), min(end - offset, len(text))
        if lo < hi:
            out.append((text[lo:hi], bold))
        offset += len(text)
    if end < total:
        out.append((ELLIPSIS, False))
    return out
