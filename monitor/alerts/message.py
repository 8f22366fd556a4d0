"""The alert message handed to every channel, and text helpers the renderers share.

Everything in an `AlertMessage` except the entity names comes from a web page, so it is
untrusted: each renderer escapes it for its own format (Slack mrkdwn, HTML, mail headers).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.models import Hit

ELLIPSIS = "…"
# The matcher marks the matched words in a snippet as **match**.
_MARK = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
# Unicode categories that can break a line or a header: controls (incl. CR, LF, NEL, TAB)
# and the line/paragraph separators U+2028/U+2029, which some parsers treat as newlines.
_BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_SPACES = re.compile(r"\s+")


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

    def entities(self) -> list[str]:
        """Distinct entity names in order of appearance; places last (they are context)."""
        return list(dict.fromkeys(h.entity for h in self.ordered_hits()))

    def ordered_hits(self) -> list[Hit]:
        """Hits to display: actors/keywords/rules first, places last, repeats dropped.

        The same entity matched twice in one sentence yields two hits with one snippet;
        showing that snippet twice would only add noise.
        """
        ordered = sorted(self.hits, key=lambda h: h.kind == "place")  # sort is stable
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


Message = AlertMessage | DigestMessage


# ---------------------------------------------------------------- plain-text helpers


def one_line(text: str | None) -> str:
    """`text` with every control/line-break character turned into a space, runs collapsed.

    Used for anything that must stay on one line: mail headers (so a title can never
    inject a header), Slack headlines and snippets (so they cannot break our layout).
    """
    if not text:
        return ""
    cleaned = "".join(" " if unicodedata.category(ch) in _BREAKING_CATEGORIES else ch
                      for ch in text)
    return _SPACES.sub(" ", cleaned).strip()


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, ending in "…" when something was cut."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    return text[: limit - 1].rstrip() + ELLIPSIS


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


def entity_summary(names: list[str], most: int = 3) -> str:
    """'A, B, C +2 more' — keeps subjects and notifications short."""
    shown = ", ".join(one_line(n) for n in names[:most])
    extra = len(names) - most
    return f"{shown} +{extra} more" if extra > 0 else shown


def is_web_url(url: str) -> bool:
    """Only http(s) URLs become links; anything else (javascript:, mailto:) stays text."""
    return bool(re.match(r"^https?://[^\s/]+", url or "", re.IGNORECASE))


# ---------------------------------------------------------------- snippet segments


Segment = tuple[str, bool]  # (text, is the matched part)


def split_marks(snippet: str) -> list[Segment]:
    """'a **b** c' -> [('a ', False), ('b', True), (' c', False)]. A lone ** stays text."""
    segments: list[Segment] = []
    pos = 0
    for m in _MARK.finditer(snippet):
        if m.start() > pos:
            segments.append((snippet[pos:m.start()], False))
        segments.append((m.group(1), True))
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
