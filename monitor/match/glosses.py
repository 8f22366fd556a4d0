"""Names interrupted by a parenthesis: "Fatah (Conquest) Alliance", "ائتلاف (دولة القانون)".

A short parenthetical inside a name is either a gloss (a translation: drop it) or quotes a
part of the name (keep its words, drop the brackets). For each "(" of a text with a
closing ")" nearby, `windows` yields both readings of the few words around it; the matcher
searches them with its automaton and keeps only names that span the parenthesis (names
on either side are found in the text itself). Bounded: at most MAX_GLOSS_WORDS inside, no
nested brackets, WINDOW characters of context on each side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from .names import Span
from .normalize import Normalised

__all__ = ["Window", "scan_glosses", "windows"]

MAX_GLOSS_WORDS = 4
MAX_GLOSS_CHARS = 60
WINDOW = 80  # characters of context on each side (longer than any usual name)


class Window(NamedTuple):
    """A reading of the text around one parenthesis."""

    text: str  # what the automaton searches
    positions: list[int]  # window index -> normalised-text index
    cuts: tuple[int, ...]  # window indices of the spaces where a bracket stood

    def spans_cut(self, start: int, end: int) -> bool:
        """Whether a match [start, end) of the window reaches across a bracket."""
        return any(start < cut and end > cut + 1 for cut in self.cuts)


def windows(norm: str) -> Iterator[Window]:
    """Both readings (gloss dropped, brackets dropped) of each short parenthesis that
    stands between two words of normalised text."""
    at = norm.find("(")
    while at >= 0:
        close = norm.find(")", at + 1, at + 2 + MAX_GLOSS_CHARS)
        nxt = norm.find("(", at + 1)
        if close > at + 1 and (nxt < 0 or nxt > close):
            yield from _readings(norm, at, close)
        at = nxt


def _readings(norm: str, at: int, close: int) -> Iterator[Window]:
    inner = norm[at + 1:close].strip()
    word_before = at >= 2 and norm[at - 1] == " " and norm[at - 2].isalnum()
    word_after = (close + 2 < len(norm) and norm[close + 1] == " "
                  and norm[close + 2].isalnum())
    if not inner or len(inner.split()) > MAX_GLOSS_WORDS or not (word_before or word_after):
        return
    lo = max(0, at - 1 - WINDOW) if word_before else at
    hi = min(len(norm), close + 2 + WINDOW) if word_after else close + 1
    left = list(range(lo, at - 1)) if word_before else []  # up to the space before "("
    right = list(range(close + 1, hi)) if word_after else []  # from the space after ")"
    if word_before and word_after:  # gloss dropped: "fatah alliance"
        positions = left + right
        yield Window("".join(norm[i] for i in positions), positions, (len(left),))
    # brackets dropped: "ائتلاف دوله القانون"
    first = at + 1 + (len(norm[at + 1:close]) - len(norm[at + 1:close].lstrip()))
    inside = list(range(first, first + len(inner)))
    positions = [*left, *([at - 1] if word_before else []), *inside, *right]
    cuts = ((len(left),) if word_before else ()) + (
        (len(left) + int(word_before) + len(inside),) if word_after else ())
    yield Window("".join(norm[i] for i in positions), positions, cuts)


def scan_glosses(text: str, normalised: Normalised,
                 find: Callable[[str], list[tuple[int, int, int]]],
                 names: Callable[[int], Iterable[tuple[int, str]]]) -> Iterator[Span]:
    """Full names interrupted by a short parenthesis: `find` is the automaton's search
    ((key index, start, end) of every key), `names` gives (entity, alias) of a key's full
    aliases."""
    original = normalised.original
    for window in windows(normalised.text):
        found = window.text
        for index, start, end in find(found):
            if not window.spans_cut(start, end) or (start > 0 and found[start - 1].isalnum()) or (
                    end < len(found) and found[end].isalnum()):
                continue
            for entity, alias in names(index):
                begin = original(window.positions[start])
                stop = original(window.positions[end - 1]) + 1
                if text[stop:stop + 1] == ")" and text.count("(", begin, stop) > text.count(
                        ")", begin, stop):
                    stop += 1  # "ائتلاف (دولة القانون)": the name closes its bracket
                yield Span(entity, begin, stop, "variant", False, alias)
