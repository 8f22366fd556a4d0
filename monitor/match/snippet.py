"""The sentence around a match, for alerts, the hits table and search excerpts.

A snippet is the whole sentence holding the match (sentences.py decides where sentences
end), whitespace collapsed, with the matched words between MARK_OPEN and MARK_CLOSE:
"Security forces were deployed across ⟦Amarah⟧ on Saturday." A sentence longer than
MAX_SNIPPET is cut to a window around the match, at word boundaries, with "…" on each
cut side; the match itself is never cut.

Why ⟦ ⟧ (U+27E6/U+27E7, mathematical white square brackets) rather than **bold** or
[brackets]: they read as marks in plain text, in Datasette, in a terminal and in a pipe
(no colour needed), never occur in news text (so a renderer can find them without
ambiguity), and they are Bidi-mirrored punctuation, so in Arabic they open and close
around the right word instead of scrambling like "**" does. Renderers (Slack, e-mail,
`monitor hits`) turn them into their own emphasis with `marked_segments`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .sentences import sentence_bounds

__all__ = ["ELLIPSIS", "MARK_CLOSE", "MARK_OPEN", "MAX_SNIPPET", "excerpt", "make_snippet",
           "marked_segments"]

MARK_OPEN = "\u27e6"  # ⟦
MARK_CLOSE = "\u27e7"  # ⟧
ELLIPSIS = "…"
MAX_SNIPPET = 300  # characters, not counting the marks and ellipses

_WHITESPACE = re.compile(r"\s+")
_MARKED = re.compile(f"{MARK_OPEN}([^{MARK_OPEN}{MARK_CLOSE}]*){MARK_CLOSE}")
# The text's own ⟦ ⟧ (practically never there) become plain brackets, so every mark in a
# snippet is one the matcher made.
_UNMARK = str.maketrans({MARK_OPEN: "[", MARK_CLOSE: "]"})


def make_snippet(text: str, start: int, end: int, limit: int = MAX_SNIPPET) -> str:
    """The sentence containing text[start:end], with the match marked as ⟦match⟧."""
    return excerpt(text, start, end, ((start, end),), limit)


def excerpt(text: str, start: int, end: int, marks: Iterable[tuple[int, int]],
            limit: int = MAX_SNIPPET) -> str:
    """The sentence(s) holding text[start:end], cut to about `limit` characters around it,
    with each (start, end) span of `marks` that lies wholly inside the result marked."""
    # A sentence start or end further than `limit` away would be cut off anyway; one more
    # character tells "the sentence starts exactly there" from "it starts further away".
    begin, finish = sentence_bounds(text, start, end, reach=limit + 1)
    room = max(0, limit - (end - start))
    before, after = start - begin, finish - end
    # Share the room evenly, giving what one side does not need to the other.
    left = min(before, max(room // 2, room - after))
    right = min(after, room - left)
    cut_left, cut_right = left < before, right < after
    if cut_left:
        begin = _word_start(text, start - left, start)
    if cut_right:
        finish = _word_end(text, end, end + right)
    out, done = [], begin
    for mark_start, mark_end in sorted(marks):
        if mark_start >= done and mark_end <= finish and mark_start < mark_end:
            out += [_clean(text[done:mark_start]), MARK_OPEN,
                    _clean(text[mark_start:mark_end]).strip(), MARK_CLOSE]
            done = mark_end
    out.append(_clean(text[done:finish]))
    body = "".join(out).strip()
    return (ELLIPSIS if cut_left else "") + body + (ELLIPSIS if cut_right else "")


def marked_segments(snippet: str) -> list[tuple[str, bool]]:
    """A snippet as (text, marked) pieces, marks removed: for renderers' own emphasis."""
    out, done = [], 0
    for found in _MARKED.finditer(snippet):
        if found.start() > done:
            out.append((snippet[done:found.start()], False))
        out.append((found.group(1), True))
        done = found.end()
    if done < len(snippet):
        out.append((snippet[done:], False))
    return out


def _word_start(text: str, at: int, limit: int) -> int:
    """`at`, or past the rest of the word it falls inside (never beyond `limit`)."""
    while at < limit and at > 0 and not text[at - 1].isspace():
        at += 1
    return at


def _word_end(text: str, limit: int, at: int) -> int:
    """`at`, or back to the start of the word it falls inside (never before `limit`)."""
    while at > limit and at < len(text) and not text[at].isspace():
        at -= 1
    return at


def _clean(text: str) -> str:
    # Printable text has no whitespace but " " (every other whitespace character is a
    # separator or control character): without a double space, nothing to collapse.
    if "  " in text or not text.isprintable():
        text = _WHITESPACE.sub(" ", text)
    if MARK_OPEN in text or MARK_CLOSE in text:
        text = text.translate(_UNMARK)
    return text
