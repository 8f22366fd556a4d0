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
import itertools
import re
import unicodedata

__all__ = ["APOSTROPHES", "Normalised", "OffsetMap", "mostly_ascii", "normalize", "normalize_text"]

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

_SPACE_RUN = re.compile(r"  +")  # "  +", not " {2,}": sre searches a literal prefix fast


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

    def cased(self) -> str | None:
        """`text` with the capitals of its Latin letters as in the original (Ḥ -> H), aligned
        index for index with `text`; None when not available (the exact path)."""
        return None

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


def _normalize_exact(text: str) -> Normalised:
    """The reference implementation: per-character expansion with an exact segment map.

    Used for texts the fast path cannot take (see :func:`normalize_text`) and by the tests
    as the oracle the fast path must agree with.
    """
    irregular = _learn(text)
    expanded = text.translate(_TABLE)
    collapsed, collapse = _collapse_map(expanded)
    return Normalised(collapsed, _expansion_map(text, irregular), collapse)


# ---------------------------------------------------------------- fast path
#
# str.translate is C-fast only for pure-ASCII strings (~1 GB/s); on Arabic, or on English with
# curly quotes, it does a dict lookup and an int allocation per character (~15-35 MB/s).
# The fast path only uses operations that run as one C loop over the text:
#   1. str.replace folds each non-ASCII character that needs it and is present (found by one
#      regex, or for mostly-ASCII text from its few non-ASCII bytes); the common Arabic folds
#      are replaced without a search. On the str, not on UTF-8 bytes: a 2-byte Arabic needle
#      whose lead byte starts every other character makes bytes.replace ~10x slower;
#   2. bytes.translate folds the ASCII characters (whitespace, apostrophes) of the UTF-8 bytes
#      but keeps capitals, which a second translate lowers. The first result, `cased`, keeps
#      the capitals for the variant scan, byte for byte aligned with the folded text;
#   3. a deleted character becomes the marker \x00 instead of nothing, so positions still line
#      up with the original; markers and extra spaces are removed at the end, and the original
#      offset of a normalised index is found by bisection over those removals, only for the
#      indices someone asks about (the matched spans).
# Every replacement is of a whole character by whole characters, so the offset bookkeeping of
# the exact path (expanders, deletions) carries over unchanged.

_MARK = "\x00"
_MARK_BYTES = b"\x00"


def _ascii_table() -> bytes:
    table = bytearray(range(256))
    for code in range(128):
        if chr(code).isupper():
            continue  # A-Z: lowered by _LOWER, after `cased` is taken
        folded = _expand(chr(code))
        table[code] = ord(folded) if folded else 0  # ASCII never expands to 2+ characters
    return bytes(table)


_ASCII_CASED = _ascii_table()
_LOWER = bytes.maketrans(bytes(range(65, 91)), bytes(range(97, 123)))
_ASCII_BYTES = bytes(range(128))

# Arabic letters that need folding in almost every sentence: replaced without a search.
_COMMON_ARABIC = tuple((ch, _expand(ch)) for ch in "أإآىةؤئ")
_ARABIC_LEAD_BYTES = (b"\xd8", b"\xd9")  # UTF-8 lead bytes of U+0600..U+067F


def _identity_class() -> str:
    """Regex class body of non-ASCII characters, in the blocks news text is written in, that
    normalise to themselves (plus the common Arabic folds, handled separately)."""
    blocks = [(0x80, 0x250), (0x2000, 0x2070), (0x0600, 0x0700)]
    keep = [chr(cp) for lo, hi in blocks for cp in range(lo, hi) if _expand(chr(cp)) == chr(cp)]
    keep.extend("أإآىةؤئ")
    return "".join(re.escape(ch) for ch in keep)


# Characters the fast path must look at: everything that is neither ASCII nor known to be a
# fixed point. In English or Arabic news these are few (curly apostrophes, dashes, harakat).
_TO_FOLD = re.compile("[^\x00-\x7f" + _identity_class() + "]")

# What step 1 writes for a character: its expansion, the marker when it is deleted, and
# with ASCII letters in capitals when the character is a capital (Ḥ -> H), so `cased`
# still shows that a name starts there.
_REPLACEMENT: dict[str, str] = {}
_SAMPLE = 2000  # characters `mostly_ascii` looks at
_SPACES = re.compile(" +")
_DOUBLE_SPACE = "  "


class _Removals:
    """Output index -> input index for a string made by deleting some characters.

    Stored per deleted run: ``at[k]`` is the output index right after the k-th run and
    ``total[k]`` how many input characters were deleted up to and including it.
    """

    __slots__ = ("_at", "_total")

    def __init__(self, at: list[int], total: list[int]):
        self._at = at
        self._total = total

    @classmethod
    def from_runs(cls, runs: list[tuple[int, int]]) -> _Removals:
        """From (input start, length) of each deleted run, in order."""
        at: list[int] = []
        total: list[int] = []
        deleted = 0
        for start, length in runs:
            at.append(start - deleted)
            deleted += length
            total.append(deleted)
        return cls(at, total)

    @classmethod
    def from_pieces(cls, pieces: list[str]) -> _Removals:
        """For "".join(pieces), where one character was deleted between consecutive pieces."""
        at = list(itertools.accumulate(map(len, pieces[:-1])))
        return cls(at, list(range(1, len(pieces))))

    def __getitem__(self, index: int) -> int:
        k = bisect.bisect_right(self._at, index) - 1
        return index + self._total[k] if k >= 0 else index

    def removed(self) -> int:
        return self._total[-1] if self._total else 0

    def to_list(self, size: int) -> list[int]:
        out: list[int] = []
        bounds = [*self._at, size]
        out.extend(range(bounds[0]))
        for k, deleted in enumerate(self._total):
            out.extend(range(bounds[k] + deleted, bounds[k + 1] + deleted))
        return out


class _FastNormalised(Normalised):
    """A normalised text whose offsets are computed on demand (see the fast path above)."""

    __slots__ = ("_cased", "_expanders", "_layers", "_marks", "_raw", "_space_runs", "_spaces")

    def __init__(self, text: str, expanders: OffsetMap | None, marks: _Removals | None,
                 space_runs: list[tuple[int, int]], raw: bytes | None):
        super().__init__(text, OffsetMap(), None)
        self._expanders = expanders  # input index after expansion -> original index
        self._marks = marks  # index after marker removal -> index before it
        self._space_runs = space_runs  # (start, length) of the extra spaces removed
        self._spaces = _Removals.from_runs(space_runs) if space_runs else None
        # The UTF-8 of `cased` before marker removal and space collapse; None: no capitals.
        self._raw = raw
        self._cased: str | None = None if raw is not None else text
        # The removals as (at, total) lists, spaces first: `original` inlines
        # _Removals.__getitem__, as the matcher calls it twice per match.
        self._layers = tuple((r._at, r._total) for r in (self._spaces, marks) if r is not None)

    def original(self, index: int) -> int:
        for at, total in self._layers:
            k = bisect.bisect_right(at, index) - 1
            if k >= 0:
                index += total[k]
        if self._expanders is not None:
            index = self._expanders[index]
        return index

    def cased(self) -> str:
        if self._cased is None:
            assert self._raw is not None
            text = self._raw.decode("utf-8", "surrogatepass")
            if self._marks is not None:
                text = text.replace(_MARK, "")
            self._cased = _remove_runs(text, self._space_runs) if self._space_runs else text
        return self._cased

    def offsets(self) -> list[int]:
        out = self._spaces.to_list(len(self.text)) if self._spaces else range(len(self.text))
        if self._marks is not None:
            size = len(self.text) + (self._spaces.removed() if self._spaces else 0)
            before = self._marks.to_list(size)
            out = list(map(before.__getitem__, out))
        if self._expanders is not None:
            expanded = self._expanders.to_list()
            out = list(map(expanded.__getitem__, out))
        return list(out)


def _space_runs(text: str) -> list[tuple[int, int]]:
    """(start, length) of the extra spaces of each run of 2+ spaces (the first one stays).

    str.find, not a regex scan: its C search skips to the next double space several times
    faster than sre looks at every character."""
    runs = []
    at = text.find(_DOUBLE_SPACE)
    while at >= 0:
        end = _SPACES.match(text, at).end()  # type: ignore[union-attr]  # text[at] is " "
        runs.append((at + 1, end - at - 1))
        at = text.find(_DOUBLE_SPACE, end)
    return runs


def _remove_runs(text: str, runs: list[tuple[int, int]]) -> str:
    """`text` without the characters of `runs` ((start, length) pairs, in order)."""
    pieces = []
    pos = 0
    for start, length in runs:
        pieces.append(text[pos:start])
        pos = start + length
    pieces.append(text[pos:])
    return "".join(pieces)


def _replacement(ch: str) -> str:
    """What step 1 of the fast path writes for a non-ASCII character that needs folding."""
    out = _REPLACEMENT.get(ch)
    if out is None:
        _learn(ch)
        folded = _CACHE[ch]
        if not folded:
            out = _MARK
        elif ch.isupper():
            out = "".join(c.upper() if c.isascii() else c for c in folded)
        else:
            out = folded
        _REPLACEMENT[ch] = out
    return out


def mostly_ascii(text: str) -> bool:
    """Whether `text` looks like English rather than Arabic, judged by its start: it only
    picks the faster of two ways to the same result."""
    sample = text[:_SAMPLE]
    return len(sample.encode("utf-8", "surrogatepass")) - len(sample) < len(sample) // 8


def _fold_text(text: str) -> tuple[bytes, list[str]] | None:
    """Steps 1 and 2 of the fast path: the UTF-8 of the folded text with ASCII capitals kept,
    and the characters that expand to 2+ characters; None when the text needs the exact
    path."""
    if _MARK in text:
        return None  # the marker must not occur in the input
    if text.isascii():
        return text.encode().translate(_ASCII_CASED), []
    data: bytes | None = None
    if mostly_ascii(text):
        # English: its few non-ASCII bytes hold every character to look at, and taking
        # them with bytes.translate beats a regex visiting every character.
        data = text.encode("utf-8", "surrogatepass")
        rare = data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
        pairs, expanders = _replacements({ch for ch in set(rare) if _TO_FOLD.match(ch)})
        if any(lead in data for lead in _ARABIC_LEAD_BYTES):
            pairs.extend(_COMMON_ARABIC)
    else:
        pairs, expanders = _replacements(set(_TO_FOLD.findall(text)))
        pairs.extend(_COMMON_ARABIC)
    folded = text
    for ch, out in pairs:
        folded = folded.replace(ch, out)
    if data is None or folded is not text:
        data = folded.encode("utf-8", "surrogatepass")
    return data.translate(_ASCII_CASED), expanders


def _replacements(present: set[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(character, what step 1 writes for it) for the characters of `present` that change,
    and those of them that expand to 2+ characters."""
    pairs: list[tuple[str, str]] = []
    expanders: list[str] = []
    for ch in present:
        out = _replacement(ch)
        if out != ch:
            pairs.append((ch, out))
            if len(_CACHE[ch]) > 1:
                expanders.append(ch)
    return pairs, expanders


# The last texts given to `normalize_text`, with their results: a worker normalises an
# article's title and body to match them, then the same two strings again for the article's
# story features (stories/features.py). Looked up by identity (`is`): no text is compared,
# and a string held here cannot be freed and its id reused.
_RECENT_SIZE = 4
_recent: tuple[tuple[str, Normalised], ...] = ()


def normalize_text(text: str) -> Normalised:
    """Like :func:`normalize`, with offsets computed on demand (what the matcher uses).

    A call with the very string object of a recent call returns that call's result again
    (it is not to be modified)."""
    global _recent
    for seen, result in _recent:
        if seen is text:
            return result
    result = _normalize_text(text)
    _recent = ((text, result), *_recent[:_RECENT_SIZE - 1])
    return result


def _normalize_text(text: str) -> Normalised:
    folded = _fold_text(text)
    if folded is None:
        return _normalize_exact(text)
    raw, expanders = folded
    lowered = raw.translate(_LOWER)
    expanded = lowered.decode("utf-8", "surrogatepass")
    expander_map = _expansion_map(text, expanders) if expanders else None
    marks = None
    if _MARK in expanded:
        pieces = expanded.split(_MARK)  # split + join: C speed, and the pieces give the map
        marks = _Removals.from_pieces(pieces)
        expanded = "".join(pieces)
    runs = _space_runs(expanded)
    if runs:
        expanded = _remove_runs(expanded, runs)
    return _FastNormalised(expanded, expander_map, marks, runs,
                           raw if lowered != raw else None)


def normalize(text: str) -> tuple[str, list[int]]:
    """Normalise `text` for matching.

    Returns the normalised string and, for each of its characters, the index in `text` of
    the character it came from. The map is non-decreasing; a run of whitespace collapsed to
    one space maps to the first character of the run.
    """
    result = _normalize_text(text)  # (aliases and single words: not worth remembering)
    return result.text, result.offsets()
