"""Text normalisation for matching, with a map back to the original offsets.

The same function is applied to watchlist aliases and to article text, so whatever it
does (case, diacritics, Arabic letter variants, apostrophes, dashes) cancels out.

Normalisation is done character by character: each original character expands to zero,
one or several normalised characters (``ß`` -> ``ss``, ``ﻻ`` -> ``لا``, harakat -> nothing).
Doing it per character is what makes the offset map exact: every normalised character
knows the one original character it came from. Whole-string NFKC could compose across
characters and lose that link; per character, the only composition we miss is
base + combining mark, and those marks are removed anyway.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

__all__ = ["APOSTROPHES", "Normalised", "OffsetMap", "normalize", "normalize_text"]

# Apostrophe-like characters are deleted, so "Asa'ib", "Asa’ib", "Asaʿib" and "Asaib" agree.
# (´ is here because NFKC would turn it into a space + combining accent.)
APOSTROPHES = frozenset("'’‘ʿʾʼʻ`´′")

# Deleted outright: tatweel (kashida) only stretches a word visually.
_DROP = APOSTROPHES | {"\u0640"}

# Letter variants that writers use interchangeably. أ إ آ ؤ ئ would also lose their hamza
# through the combining-mark removal below; listing them keeps the intent visible.
_FOLD: dict[str, str] = {
    # Arabic
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
    # Persian / Kurdish / Urdu letters seen in Iraqi (esp. Kurdish) sources
    "ی": "ي", "ێ": "ي", "ک": "ك", "گ": "ك", "ە": "ه", "ھ": "ه", "ۆ": "و",
    "چ": "ج", "ڤ": "ف", "ڕ": "ر", "ڵ": "ل",
    # Latin letters whose "diacritic" is not a combining mark, so NFD cannot strip it
    "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i",
}
# Arabic-Indic (U+0660..) and Extended Arabic-Indic (U+06F0..) digits -> ASCII
_FOLD.update({chr(0x0660 + d): str(d) for d in range(10)})
_FOLD.update({chr(0x06F0 + d): str(d) for d in range(10)})

# Characters not in category Pd that still separate words like a dash does.
_DASH_LIKE = frozenset("\u2212\u2043")  # minus sign, hyphen bullet

# Per-character expansions, filled lazily: an article repeats a few hundred characters.
# Keyed by code point too, for str.translate, which does the per-character work in C.
_CACHE: dict[str, str] = {}
_TABLE: dict[int, str] = {}

_SPACE_RUN = re.compile(r" {2,}")


def _step(ch: str) -> str:
    """One round of normalisation of a single character."""
    if ch in _DROP:
        return ""
    folded = _FOLD.get(ch)
    if folded is not None:
        return folded
    if ch.isspace() or ch in _DASH_LIKE:
        return " "
    category = unicodedata.category(ch)
    if category == "Cf":  # ZWNJ/ZWJ, LRM/RLM, bidi embeddings/isolates, BOM, soft hyphen
        return ""
    if category == "Pd":  # hyphens and dashes: "al-Haq" reads as "al Haq"
        return " "
    if category == "Mn":  # harakat, superscript alef, Latin combining accents
        return ""
    if ch.isascii():
        return ch.lower()
    out = unicodedata.normalize("NFKC", ch).casefold()
    if out.isascii():
        return out
    # Strip combining marks that NFD exposes (ṣ -> s + dot below), then recompose the rest.
    decomposed = unicodedata.normalize("NFD", out)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def _expand(ch: str) -> str:
    """Normalise one character to a fixed point.

    NFKC, casefold and folding can each produce characters another step would still change
    (``Ł`` -> ``ł`` -> ``l``, ``＇`` -> ``'`` -> nothing), so repeat until stable; this is
    what makes :func:`normalize` idempotent.
    """
    current = ch
    for _ in range(6):
        nxt = "".join(_step(c) for c in current)
        if nxt == current:
            break
        current = nxt
    return current


def _learn(text: str) -> list[str]:
    """Fill the caches for the characters of `text`; return those that do not map 1:1."""
    chars = set(text)
    for ch in chars.difference(_CACHE):
        expansion = _expand(ch)
        # _TABLE first: another thread that sees `ch` in _CACHE must find it in _TABLE too.
        _TABLE[ord(ch)] = expansion
        _CACHE[ch] = expansion
    return [ch for ch in chars if len(_CACHE[ch]) != 1]


class OffsetMap:
    """Normalised index -> original index, stored as segments rather than one int per char.

    Segment k starts at output index ``starts[k]`` and input index ``sources[k]``; with step
    1 it advances one input char per output char, with step 0 every output char comes from
    the same input char (an expansion like ß -> ss). Outside the few irregular places the
    map is one long step-1 segment, so building it costs almost nothing.
    """

    __slots__ = ("_sources", "_starts", "_steps", "length")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._sources: list[int] = []
        self._steps: list[int] = []
        self.length = 0  # output characters so far

    def add(self, source: int, count: int, step: int) -> None:
        """Append `count` output characters coming from input index `source` onwards."""
        if count <= 0:
            return
        self._starts.append(self.length)
        self._sources.append(source)
        self._steps.append(step)
        self.length += count

    def __getitem__(self, index: int) -> int:
        k = bisect.bisect_right(self._starts, index) - 1
        return self._sources[k] + (index - self._starts[k]) * self._steps[k]

    def to_list(self) -> list[int]:
        out: list[int] = []
        if not self._starts:
            return out
        ends = [*self._starts[1:], self.length]
        for start, end, source, step in zip(self._starts, ends, self._sources, self._steps,
                                            strict=True):
            if step:
                out.extend(range(source, source + end - start))
            else:
                out.extend([source] * (end - start))
        return out


class Normalised:
    """A normalised text and its map back to the original (see :func:`normalize_text`)."""

    __slots__ = ("_collapse", "_expand_map", "text")

    def __init__(self, text: str, expand_map: OffsetMap, collapse: OffsetMap | None):
        self.text = text
        self._expand_map = expand_map  # index in the expanded text -> original index
        self._collapse = collapse  # index in `text` -> index in the expanded text

    def original(self, index: int) -> int:
        """The index in the original text of the character at `index` of `self.text`."""
        if self._collapse is not None:
            index = self._collapse[index]
        return self._expand_map[index]

    def offsets(self) -> list[int]:
        expanded = self._expand_map.to_list()
        if self._collapse is None:
            return expanded
        return [expanded[i] for i in self._collapse.to_list()]


def _expansion_map(text: str, irregular: list[str]) -> OffsetMap:
    """The offset map of text.translate(_TABLE), given the characters not mapping 1:1."""
    mapping = OffsetMap()
    if not irregular:
        mapping.add(0, len(text), 1)
        return mapping
    pattern = re.compile("[" + "".join(re.escape(ch) for ch in irregular) + "]")
    done = 0  # original characters accounted for
    for found in pattern.finditer(text):
        at = found.start()
        mapping.add(done, at - done, 1)  # the regular stretch before it
        width = len(_CACHE[text[at]])
        mapping.add(at, width, 0 if width > 1 else 1)  # nothing at all when deleted
        done = at + 1
    mapping.add(done, len(text) - done, 1)
    return mapping


def _collapse_map(expanded: str) -> tuple[str, OffsetMap | None]:
    """Collapse runs of spaces to their first space; map collapsed -> expanded indices."""
    if "  " not in expanded:
        return expanded, None
    mapping = OffsetMap()
    parts: list[str] = []
    pos = 0
    for run in _SPACE_RUN.finditer(expanded):
        cut = run.start() + 1
        parts.append(expanded[pos:cut])
        mapping.add(pos, cut - pos, 1)
        pos = run.end()
    parts.append(expanded[pos:])
    mapping.add(pos, len(expanded) - pos, 1)
    return "".join(parts), mapping


def normalize_text(text: str) -> Normalised:
    """Like :func:`normalize`, with a compact offset map (what the matcher uses)."""
    irregular = _learn(text)
    expanded = text.translate(_TABLE)
    collapsed, collapse = _collapse_map(expanded)
    return Normalised(collapsed, _expansion_map(text, irregular), collapse)


def normalize(text: str) -> tuple[str, list[int]]:
    """Normalise `text` for matching.

    Returns the normalised string and, for each of its characters, the index in `text` of
    the character it came from. The map is non-decreasing; a run of whitespace collapsed to
    one space maps to the first character of the run.
    """
    result = normalize_text(text)
    return result.text, result.offsets()
