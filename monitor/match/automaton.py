"""One Aho-Corasick automaton over many keys, reporting every occurrence of every key.

A thin wrapper around ahocorasick_rs (Rust): its automaton scans a str at a few ns per
character, several times faster than pyahocorasick's per-character trie walk, and it returns
all matches as one list of (key index, start, end) in str indices, so Python touches only the
matches.

It is the contiguous NFA, not the DFA. Alone on one text the DFA scans sparse news ~1.4x
faster, but it takes ~250 bytes per key character (75 MB for the 22,000 keys of a
5,000-entity watchlist, against 6 MB) and ~5x as long to build; in the matcher, where the
other stages evict it from the caches between calls, it made name-dense text 1.1-1.4x
slower and sparse text no faster (bench/README.md, session 10).
(Its bytes interface scans ASCII text ~2 ms/MB faster, but turning byte offsets back into
str indices for Arabic text costs more than that, and two automata would double the memory.)

The Rust side takes UTF-8, which a str holding a lone surrogate (U+D800..U+DFFF) cannot be
encoded to. Such a text is searched with each surrogate replaced by U+FFFF, a character no
key given to the automaton contains: no match can cover a replaced character, so every
match found is real and none is lost. The (absurd) keys that hold a surrogate or U+FFFF
themselves are searched with str.find instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import ahocorasick_rs

__all__ = ["Automaton"]

_SUBSTITUTE = "\uffff"  # a noncharacter: stands in for surrogates in the text
# (built with chr(): mypyc cannot compile a surrogate in a string literal)
_ODD = re.compile("[" + chr(0xD800) + "-" + chr(0xDFFF) + chr(0xFFFF) + "]")
_SURROGATE = re.compile("[" + chr(0xD800) + "-" + chr(0xDFFF) + "]")


class Automaton:
    """Finds every occurrence (overlapping ones too) of a fixed set of non-empty keys."""

    def __init__(self, keys: Sequence[str]):
        normal = [i for i, key in enumerate(keys) if not _ODD.search(key)]
        self._numbers = normal  # automaton pattern index -> index into `keys`
        self._odd = [(i, key) for i, key in enumerate(keys) if _ODD.search(key)]
        patterns = [keys[i] for i in normal]
        self._rs = ahocorasick_rs.AhoCorasick(
            patterns, implementation=ahocorasick_rs.Implementation.ContiguousNFA,
        ) if patterns else None

    def find(self, text: str) -> list[tuple[int, int, int]]:
        """(key index, start, end) of every occurrence of every key in `text`, in no
        particular order."""
        found: list[tuple[int, int, int]] = []
        if self._rs is not None:
            try:
                found = self._rs.find_matches_as_indexes(text, overlapping=True)
            except UnicodeEncodeError:
                found = self._rs.find_matches_as_indexes(
                    _SURROGATE.sub(_SUBSTITUTE, text), overlapping=True)
            if self._odd:  # otherwise pattern index == key index
                numbers = self._numbers
                found = [(numbers[k], start, end) for k, start, end in found]
        for index, key in self._odd:
            at = text.find(key)
            while at >= 0:
                found.append((index, at, at + len(key)))
                at = text.find(key, at + 1)
        return found
