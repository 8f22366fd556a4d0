"""Slack incoming-webhook channel: Block Kit payload, POSTed with httpx.

Untrusted text (title, source, snippets) is made inert before our own markup is added:

* ``&``, ``<``, ``>`` become ``&amp;``, ``&lt;``, ``&gt;`` — the three escapes Slack defines.
  Without them ``<https://evil|click>`` or ``<!channel>`` in a headline would become a
  fake link or a mention.
* mrkdwn has no escape for ``*``, ``_``, ``~`` and backticks, so they are replaced by
  look-alike characters (∗ ˍ ∼ ˋ): article text can then never bold, italicise, strike or
  code-format anything, and our own ``*bold*`` around the match cannot be unbalanced.
* line breaks become spaces, so a snippet cannot start a ``>`` quote or break the layout.
* invisible and direction-changing characters are removed (`one_line`), so a headline
  cannot display reordered text; Arabic headlines and snippets are then put on their own
  line inside a right-to-left isolate (`isolate_rtl`), which Slack's LTR lines need.

An alert reads in ten seconds (see layout.py): headline, outlet and time, then each
watched entity once with its best sentence, places compactly, other reports of the story.
It stays far inside Block Kit's limits (blockkit.py): at most ~20 blocks, and long lists
fold into one context block.

The webhook URL is a secret: errors name its host only, and the response body quoted in
errors is scrubbed of the URL and its token.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

from monitor.config import SlackChannel

from .http import endpoint_host, post_json
from .layout import (
    AlertLayout,
    EntityLine,
    alert_layout,
    mention_label,
    plain_and_spans,
)
from .message import (
    ELLIPSIS,
    PDI,
    RLI,
    AlertMessage,
    DigestMessage,
    Message,
    Report,
    Segment,
    StoryEntry,
    format_published,
    headline_names,
    is_rtl,
    is_web_url,
    isolate_rtl,
    one_line,
    split_marks,
    truncate,
    window,
)

log = logging.getLogger(__name__)

MAX_BLOCKS = 50  # Slack rejects messages with more blocks
MAX_SECTION_CHARS = 3000  # Slack's limit for a section's text
MAX_HEADER_CHARS = 150  # Slack's limit for a header block's plain text
MAX_TITLE_CHARS = 300  # a headline longer than this is noise in a channel
MAX_LINK_CHARS = 2000  # a longer URL could push the closing '>' past the section limit
MAX_FALLBACK_CHARS = 1000  # the notification text; Slack truncates long ones anyway
MAX_BODY_IN_ERROR = 200
MAX_CONTEXT_CHARS = 2000  # our own bound for one context element (Slack allows 3,000)
MAX_ENTITY_LINES = 8  # entity sections in an alert; the rest fold into a context block
MAX_SNIPPET_CHARS = 400  # one sentence, not a paragraph
MAX_REPORT_LINES = 3  # "also reported by" lines; more fold into a context block

_NEUTRALISE = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


# ---------------------------------------------------------------- escaping


def escape_mrkdwn(text: str) -> str:
    """Make untrusted text inert in Slack mrkdwn (see the module docstring)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.translate(_NEUTRALISE)


def _link_target(url: str) -> str:
    """A URL safe inside <url|label>: entities escaped, '|' and spaces percent-encoded."""
    url = one_line(url).replace("|", "%7C").replace(" ", "%20")
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E")


def _cut_escaped(text: str, limit: int) -> str:
    """`text[:limit]` without splitting an &amp;-style entity in two."""
    cut = text[:limit]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:] and ";" in text[amp:amp + 6]:
        cut = cut[:amp]
    return cut


def _bold(text: str) -> str:
    """*text*, with surrounding spaces moved outside: Slack ignores '* x *'."""
    core = text.strip()
    if not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    return f"{lead}*{core}*{trail}"


def render_snippet(segments: list[Segment], limit: int) -> str:
    """Escaped mrkdwn for a snippet with the match in bold, at most `limit` characters."""
    out: list[str] = []
    used = 0
    for text, is_match in segments:
        piece = escape_mrkdwn(text)
        markup = 2 if is_match else 0
        if used + len(piece) + markup > limit:
            room = limit - used - markup - len(ELLIPSIS)
            if room > 0:
                part = _cut_escaped(piece, room)
                out.append(_bold(part) if is_match else part)
            out.append(ELLIPSIS)
            return "".join(out)
        out.append(_bold(piece) if is_match else piece)
        used += len(piece) + markup
    return "".join(out)


def _fit(text: str, limit: int = MAX_SECTION_CHARS) -> str:
    """A last guard on a text field built from escaped parts."""
    return text if len(text) <= limit else _cut_escaped(text, limit - 1) + ELLIPSIS


# ---------------------------------------------------------------- payload


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _fit(text)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _fit(text)}]}


def _title(text: str, language: str | None = None) -> str:
    """A headline as Slack shows it: one line, cut, escaped, Arabic isolated."""
    title = truncate(one_line(text) or "(untitled)", MAX_TITLE_CHARS)
    return isolate_rtl(escape_mrkdwn(title), language)


def _headline(message: AlertMessage) -> str:
    title = _title(message.title, message.language)
    target = _link_target(message.url)
    if is_web_url(message.url) and len(target) <= MAX_LINK_CHARS:
        return f"*<{target}|{title}>*"
    # Not an http(s) URL (or an absurdly long one): no link, show it as inert text.
    return f"*{title}*\n{escape_mrkdwn(truncate(one_line(message.url), MAX_LINK_CHARS))}"


def _plain(text: str | None, default: str = "") -> str:
    """A short untrusted name (outlet, entity) for a mixed line: escaped, Arabic isolated."""
    return isolate_rtl(escape_mrkdwn(one_line(text) or default))


def _byline(message: AlertMessage) -> str:
    parts = [_plain(message.source, "unknown source")]
    published = format_published(message.published)
    if published:
        parts.append(escape_mrkdwn(published))
    return " · ".join(parts)


def _names(line: EntityLine) -> str:
    return " · ".join(f"*{_plain(m.name)}*"
                      + (f" ×{m.count}" if m.count > 1 else "") for m in line.mentions)


def _entity_block(line: EntityLine, language: str | None) -> dict[str, Any]:
    """'*Muqtada al-Sadr* ×3 · *Saraya al-Salam*' and their sentence, quoted, on its own
    line (an Arabic one inside a right-to-left isolate)."""
    names = _names(line)
    if line.in_title:
        return _section(f"{names} — in the headline")
    snippet = one_line(line.snippet)
    segments = window(split_marks(snippet), MAX_SNIPPET_CHARS)
    quoted = render_snippet(segments, MAX_SNIPPET_CHARS)
    if is_rtl(plain_and_spans(snippet)[0], language):
        quoted = f"{RLI}{quoted}{PDI}"
    return _section(f"{names}\n>{quoted}")


def _fold(label: str, items: list[str]) -> dict[str, Any]:
    """One context block listing what did not get a block of its own, cut to fit."""
    text = f"{label} "
    for i, item in enumerate(items):
        more = f" {ELLIPSIS} +{len(items) - i}"
        piece = item if i == 0 else f", {item}"
        if len(text) + len(piece) + len(more) > MAX_CONTEXT_CHARS:
            return _context(text + more)
        text += piece
    return _context(text)


def _layout_blocks(layout: AlertLayout, language: str | None) -> list[dict[str, Any]]:
    """Entity sections (at most MAX_ENTITY_LINES), then the rest and places, folded."""
    blocks = [_entity_block(line, language) for line in layout.lines[:MAX_ENTITY_LINES]]
    rest = [_plain(mention_label(m)) for line in layout.lines[MAX_ENTITY_LINES:]
            for m in line.mentions]
    if rest:
        blocks.append(_fold("*Also named:*", rest))
    if layout.places:
        blocks.append(_fold("*Places:*", [_plain(mention_label(m)) for m in layout.places]))
    return blocks


def fallback_text(message: AlertMessage) -> str:
    """The plain notification text (also shown by clients that cannot render blocks):
    'Muqtada al-Sadr, Saraya al-Salam +1 — headline (Outlet)'."""
    test = "[TEST] " if message.test else ""
    names = headline_names(message.named())
    title = one_line(message.title) or "(untitled)"
    source = one_line(message.source)
    lead = f"{names} — " if names else ""  # operator notices carry no hits
    text = truncate(f"{test}{lead}{title}" + (f" ({source})" if source else ""),
                    MAX_FALLBACK_CHARS)
    return _fit(escape_mrkdwn(text))


def _test_banner() -> list[dict[str, Any]]:
    return [{"type": "header", "text": {
        "type": "plain_text", "text": "🧪 TEST ALERT — news-monitor"[:MAX_HEADER_CHARS],
        "emoji": True}},
        _context("This is a test message sent by `monitor test-alert`; it is not a real match.")]


def report_line(report: Report) -> str:
    """'• <url|headline> — Outlet · 2024-05-01 09:30 UTC', escaped."""
    title = _title(report.title)
    target = _link_target(report.url)
    linked = is_web_url(report.url) and len(target) <= MAX_LINK_CHARS
    head = f"<{target}|{title}>" if linked else title
    byline = [_plain(report.source, "unknown source")]
    published = format_published(report.published)
    if published:
        byline.append(escape_mrkdwn(published))
    line = f"• {head} — {' · '.join(byline)}"
    if report.story:
        story = escape_mrkdwn(truncate(one_line(report.story), MAX_TITLE_CHARS))
        line += f"\n   ↳ a later report of “{story}”, alerted earlier"
    return line


def _story_line(entry: StoryEntry, with_entities: bool) -> str:
    line = report_line(entry.first)
    if with_entities and entry.entities:
        line += "\n   " + escape_mrkdwn(", ".join(one_line(e) for e in entry.entities))
    if entry.others:
        line += "\n   also reported by " + ", ".join(
            report_line(r)[2:] for r in entry.others)
    return _fit(line, MAX_SECTION_CHARS - 100)


def _pack(lines: list[str], heading: str, room: int) -> tuple[list[dict[str, Any]], int]:
    """Lines packed into at most `room` sections of ≤ 3,000 characters; returns the
    sections and how many lines they hold."""
    blocks: list[dict[str, Any]] = []
    text, shown = heading, 0
    for shown, line in enumerate(lines):  # noqa: B007  # `shown` is used after the loop
        if text and len(text) + 1 + len(line) > MAX_SECTION_CHARS:
            if len(blocks) + 1 >= room:
                break
            blocks.append(_section(text))
            text = ""
        text = f"{text}\n{line}" if text else line
    else:
        shown = len(lines)
    if room <= 0:
        return [], 0
    if text:
        blocks.append(_section(text))
    return blocks, shown


def _reports_block(label: str, reports: tuple[Report, ...]) -> list[dict[str, Any]]:
    """A section with the first reports; the others fold into a context block (outlets
    and headlines, counted when they do not fit), never dropped silently."""
    if not reports:
        return []
    shown = reports[:MAX_REPORT_LINES]
    blocks = [_section(f"*{label}*\n" + "\n".join(report_line(r) for r in shown))]
    rest = reports[MAX_REPORT_LINES:]
    if rest:
        outlets = [escape_mrkdwn(one_line(r.source) or "unknown source") for r in rest]
        blocks.append(_fold(f"*{len(rest)} more:*", [f"{outlet}: {_title(r.title)}"
                                                     for outlet, r in zip(outlets, rest,
                                                                          strict=True)]))
    return blocks


def build_payload(message: Message) -> dict[str, Any]:
    """The webhook JSON for an alert, notice, digest or summary; ≤ 50 blocks."""
    if isinstance(message, DigestMessage):
        return build_digest_payload(message)
    return build_alert_payload(message)


def build_alert_payload(message: AlertMessage) -> dict[str, Any]:
    """Headline, byline, each entity once with its sentence, places, earlier/also reports;
    at most 2 + 2 + MAX_ENTITY_LINES + 2 + 2 × 2 = 18 blocks."""
    blocks: list[dict[str, Any]] = _test_banner() if message.test else []
    blocks.append(_section(_headline(message)))
    blocks.append(_context(_byline(message)))
    blocks.extend(_layout_blocks(alert_layout(message), message.language))
    blocks.extend(_reports_block("Earlier report of this story:", message.earlier))
    blocks.extend(_reports_block("Also reported by:", message.also))
    return {"text": fallback_text(message), "blocks": blocks,
            "unfurl_links": False, "unfurl_media": False}


def build_digest_payload(message: DigestMessage) -> dict[str, Any]:
    """A digest (one section per entity) or a throttle summary (one list), ≤ 50 blocks;
    stories that do not fit are counted in a last line, never silently left out."""
    blocks: list[dict[str, Any]] = _test_banner() if message.test else []
    title = escape_mrkdwn(truncate(one_line(message.title), MAX_TITLE_CHARS))
    blocks.append(_section(f"*{title}*"))
    tail = _reports_block("Also reported by:", message.also)
    omitted = 0
    for heading, entries in message.sections:
        lines = [_story_line(e, with_entities=not heading) for e in entries]
        head = f"*{escape_mrkdwn(one_line(heading))}*" if heading else ""
        room = MAX_BLOCKS - len(blocks) - len(tail) - 1  # one block left for "… more"
        packed, shown = _pack(lines, head, room) if room > 0 else ([], 0)
        blocks.extend(packed)
        omitted += len(lines) - shown
    if omitted:
        blocks.append(_context(f"{ELLIPSIS} and {omitted} more not shown here "
                               "(`monitor hits` lists everything)"))
    blocks.extend(tail)
    test = "[TEST] " if message.test else ""
    return {"text": _fit(escape_mrkdwn(truncate(test + one_line(message.title),
                                                MAX_FALLBACK_CHARS))),
            "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


# ---------------------------------------------------------------- delivery


def webhook_secrets(webhook: str) -> list[str]:
    """The webhook URL, its path and its token: never to appear in an error."""
    path = urlsplit(webhook).path
    return [webhook, path, path.rstrip("/").rsplit("/", 1)[-1]]


async def send_slack(channel: SlackChannel, message: Message,
                     client: httpx.AsyncClient | None = None) -> None:
    """POST `message` to the channel's webhook. Raises AlertError / PermanentAlertError."""
    await post_json("slack", client, channel.webhook, build_payload(message),
                    timeout=channel.timeout, secrets=webhook_secrets(channel.webhook))
    log.debug("slack: delivered to %s (%s)", endpoint_host(channel.webhook), channel.name)
