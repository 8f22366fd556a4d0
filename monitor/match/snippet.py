"""The sentence around a match, for alerts and the hits table."""

from __future__ import annotations

import re

__all__ = ["MARK_CLOSE", "MARK_OPEN", "MAX_SNIPPET", "make_snippet"]

# How a stored snippet marks the matched words: ⟦words⟧ (mathematical white square
# brackets, Bidi-mirrored, so they read right in Arabic text, terminals and Datasette).
MARK_OPEN = "\u27e6"
MARK_CLOSE = "\u27e7"

MAX_SNIPPET = 240  # characters of context, not counting the ** markers and ellipses

# How far to look for a sentence boundary before giving up and cutting at the limit.
_LOOKAROUND = MAX_SNIPPET * 2

# A sentence ends at . ! ? (and Arabic ؟ ۔) followed by whitespace, or at a line break.
_SENTENCE_END = re.compile(r"[.!?؟۔…](?=\s)|\n")
# Words that end in a period without ending a sentence ("Gen. Qais al-Khazali").
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "gen", "lt", "col", "maj", "capt", "sgt", "st", "sen", "rep",
     "gov", "prof", "no", "vs", "jr", "sr", "u.s", "u.n", "u.k"}
)
_WHITESPACE = re.compile(r"\s+")


def _is_real_end(text: str, dot: int) -> bool:
    """False for the period of an abbreviation or an initial ("Gen.", "A.")."""
    if text[dot] != ".":
        return True
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:dot].lstrip("(\"'“‘").lower()
    return not (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()))


def _sentence_start(text: str, start: int) -> int:
    lo = max(0, start - _LOOKAROUND)
    begin = lo
    for m in _SENTENCE_END.finditer(text, lo, start):
        if _is_real_end(text, m.start()):
            begin = m.end()
    return begin


def _sentence_end(text: str, end: int) -> int:
    hi = min(len(text), end + _LOOKAROUND)
    for m in _SENTENCE_END.finditer(text, end, hi):
        if _is_real_end(text, m.start()):
            return m.end() if text[m.start()] != "\n" else m.start()
    return hi


def _clean(text: str) -> str:
    # Printable text has no whitespace but " " (every other whitespace character is a
    # separator or control character): without a double space, nothing to collapse.
    if "  " not in text and text.isprintable():
        return text
    return _WHITESPACE.sub(" ", text)


def make_snippet(text: str, start: int, end: int, limit: int = MAX_SNIPPET) -> str:
    """The sentence containing text[start:end], with the match marked as **match**.

    Whitespace is collapsed. When the sentence is longer than `limit`, the context on each
    side is cut at a word boundary and the cut is shown with "…".
    """
    begin = _sentence_start(text, start)
    finish = _sentence_end(text, end)
    before = _clean(text[begin:start]).lstrip()
    match = _clean(text[start:end])
    after = _clean(text[end:finish]).rstrip()
    room = max(0, limit - len(match))
    # Share the room evenly, giving what one side does not need to the other.
    left = min(len(before), max(room // 2, room - len(after)))
    right = min(len(after), room - left)
    if left < len(before):
        cut = before[len(before) - left:]
        space = cut.find(" ")
        before = "…" + (cut[space + 1:] if 0 <= space < len(cut) - 1 else cut)
    if right < len(after):
        cut = after[:right]
        space = cut.rfind(" ")
        after = (cut[:space] if space > 0 else cut) + "…"
    return f"{before}**{match}**{after}"
