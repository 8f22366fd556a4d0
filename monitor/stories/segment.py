"""The story index's sorted uint64 entries (its main segment, and its tail's lookup
entries), merged and compacted in place.

At 100,000 window articles the segment holds 6.4 million entries (51 MB). numpy's
`np.insert` and boolean indexing build a new array beside the old one, so every merge held
the segment twice, and that was the monitor's peak memory. Here the entries live in a
buffer with room to spare, and every step goes through it a chunk at a time, so its
temporaries stay a few MB whatever the window.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

FENCE = 16  # the fence holds every FENCE-th entry (see StoryIndex._main_members)
# Entries per step: 1 MB of them. A merge step holds about five temporaries of that size,
# and each one is the process's peak memory over what it holds anyway.
_CHUNK = 1 << 17


def grow(owner: object, name: str, size: int, fill: int = 0) -> None:
    """Give the array `owner.<name>` `size` rows, the new ones `fill`: resized in place
    (realloc, which moves pages rather than copying them: no second copy of a 50 MB array
    at the peak) unless something else holds it, then copied."""
    array = getattr(owner, name)
    old = len(array)
    setattr(owner, name, None)  # numpy resizes only an array nothing else refers to
    try:
        array.resize((size, *array.shape[1:]), refcheck=True)  # new rows are zeros
    except ValueError:  # referenced elsewhere (a view, a debugger): copied
        bigger = np.zeros((size, *array.shape[1:]), dtype=array.dtype)
        bigger[:old] = array
        array = bigger
    if fill:
        array[old:] = fill
    setattr(owner, name, array)


class Segment:
    def __init__(self) -> None:
        self._buffer = np.empty(0, dtype=np.uint64)
        self.size = 0
        self.fence = np.empty(0, dtype=np.uint64)

    @property
    def entries(self) -> np.ndarray:
        """The sorted entries (a view of the buffer)."""
        return self._buffer[:self.size]

    def merge(self, new: np.ndarray) -> None:
        """Insert the sorted entries `new`, each before the first entry above it."""
        n, k = self.size, new.size
        if n + k > self._buffer.size:
            grow(self, "_buffer", max(n + k, self._buffer.size + self._buffer.size // 4))
        buffer = self._buffer
        at = np.searchsorted(buffer[:n], new)  # new entry j goes before old entry at[j]
        # An old entry moves right by the number of new entries before it. Chunks go from
        # the end, so every entry has moved before anything is written over it.
        for end in range(n, 0, -_CHUNK):
            start = max(0, end - _CHUNK)
            lo, hi = np.searchsorted(at, [start, end])
            shift = lo + np.cumsum(np.bincount(at[lo:hi] - start, minlength=end - start))
            buffer[np.arange(start, end) + shift] = buffer[start:end]
        buffer[at + np.arange(k)] = new
        self.size = n + k
        self.fence = self.entries[::FENCE].copy()

    def clear(self) -> None:
        """No entries; the buffer stays for the next ones."""
        self.size = 0
        self.fence = np.empty(0, dtype=np.uint64)

    def keep(self, keeping: Callable[[np.ndarray], np.ndarray]) -> None:
        """Drop entries: `keeping(chunk)` says which of a chunk's entries stay."""
        written = 0
        for start in range(0, self.size, _CHUNK):
            chunk = self._buffer[start:min(self.size, start + _CHUNK)]
            kept = chunk[keeping(chunk)]
            self._buffer[written:written + kept.size] = kept
            written += kept.size
        self.size = written
        self.fence = self.entries[::FENCE].copy()

    def rewrite(self, change: Callable[[np.ndarray], None]) -> None:
        """`change(chunk)` rewrites a chunk's entries in place; their order must stay."""
        for start in range(0, self.size, _CHUNK):
            change(self._buffer[start:min(self.size, start + _CHUNK)])
        self.fence = self.entries[::FENCE].copy()
