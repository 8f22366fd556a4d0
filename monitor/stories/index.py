"""The stories of the recent window, in memory, for fast "which story is this article in?".

Candidate retrieval is MinHash LSH: the signature is cut into bands of 2 values, and two
articles whose Jaccard similarity is s share at least one of 64 bands with probability
1 - (1 - s^2)^64 (0.77 at s = 0.15, 0.96 at 0.22, 0.15 at an unrelated 0.05). Articles that
share a rarely named entity are added as candidates too. Candidates are then scored exactly
on the whole signature, vectorised. The index is rebuilt from `story_signatures` when a
Store first needs it, and holds only the window (older articles are evicted).

Band keys are looked up in two numpy structures, so that a lookup costs what it finds, not
the size of the window (up to 100,000 articles), in as little memory as the int64 key
matrix once scanned whole (dictionaries of buckets cost ~10 times it, and the daemon's RSS
must stay flat):
- the main segment: one sorted uint64 per (article, band), the top 32 bits of the band key
  above the flat position row * BANDS + band (512 bytes an article). A lookup is one
  binary search per band; the full key is recomputed from the stored signature for the
  entries found, which rejects those whose top 32 bits merely collide;
- the tail: the full keys of the articles added since the last merge, one row each,
  compared in one vectorised pass. When it holds ~sqrt(16 * window) rows it is merged into
  the main segment in linear time (sorted, then inserted), and the entries of articles
  removed meanwhile are dropped.
A row's state says where its keys are: main-segment entries of a row removed (or removed
and reused) since the last merge are stale and are skipped. The stop-list counts are
exact: stale and colliding entries are not counted, except that a range too long to be
under MAX_BUCKET whatever they are is skipped unread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .features import NUM_PERM, Features

ROWS = 2  # values per LSH band (_band_keys reads the two uint32 as one uint64)
BANDS = NUM_PERM // ROWS
RARE_ENTITY = 300  # an entity named by at most this many window articles is a candidate key
# A band shared by this many window articles comes from common words, not from one event:
# it is skipped, which bounds the candidates per article (the classic LSH stop-list).
MAX_BUCKET = 500
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_SALT = np.arange(NUM_PERM // ROWS, dtype=np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
_BYTES = np.uint64(0x0101010101010101)  # decide(): adds a uint64's 8 bytes into its top one
assert NUM_PERM % 8 == 0 and NUM_PERM < 256, "decide() counts equal values in bytes"
_NO_KEY = -1  # band keys are >= 0: a removed article's tail row never matches
# A main-segment entry is one uint64: the top 32 of the band key's 63 bits, then the flat
# position row * BANDS + band (below 2**32 - 1), so sorting entries sorts by key.
_LOW = np.uint64(0xFFFFFFFF)
_HIGH = ~_LOW
# The tail: a lookup scans it whole (~0.06 us a row), a merge rewrites the main segment
# (~0.7 us per window article), so merging when it holds sqrt(16 * window articles) rows
# balances the two (~1,300 rows at 100,000 articles); from 64 rows up to this many.
TAIL_ROWS = 2048
_MIN_TAIL = 64
# Where a row's band keys are.
_NONE = 0  # free, or text too short to compare: no keys anywhere
_TAIL = 1  # in the tail (its main-segment entries, if any, are a former occupant's)
_MAIN = 2  # in the main segment, unchanged since the last merge
# A range of the main segment longer than MAX_BUCKET + stale rows + this is common whatever
# its stale entries and 32-bit collisions (~0.0015 per range at 100,000 articles), so it is
# skipped unread; shorter ones are read and counted exactly.
_COLLISION_SLACK = 8

# The decision, tuned on the fixture reports (tests/story_fixtures.py): independent reports
# of one event score 0.2-0.45 on text with the same entities; different events sharing
# actors score 0.03-0.1.
NEAR_DUPLICATE = 0.5  # copies and rewrites of one text: same story whatever the entities
TEXT_WITH_ENTITIES = 0.15  # enough when the watched names and places largely agree
ENTITY_AGREEMENT = 0.5  # entity Jaccard needed for that
TEXT_ALONE = 0.25  # when neither article names a watched entity
MIN_WORDS = 5  # shorter texts (a headline-only item) have no usable text similarity
PER_STORY = 8  # candidate rows of one story weighed in Python (the most similar ones)


@dataclass(frozen=True)
class Decision:
    story_id: int
    text: float  # estimated Jaccard of word keys
    entities: float  # Jaccard of watched actors/places


def _joins(text: float, entities: float, any_entities: bool) -> bool:
    if text >= NEAR_DUPLICATE:
        return True
    if any_entities:
        return text >= TEXT_WITH_ENTITIES and entities >= ENTITY_AGREEMENT
    return text >= TEXT_ALONE


class StoryIndex:
    """Window articles: signature, time, story and entities, with LSH buckets."""

    def __init__(self, window: float, capacity: int = 4096, tail_rows: int = TAIL_ROWS):
        self.window = window
        self._sigs = np.zeros((capacity, NUM_PERM), dtype=np.uint32)
        self._at = np.zeros(capacity, dtype=np.float64)
        self._story = np.zeros(capacity, dtype=np.int64)
        self._usable = np.zeros(capacity, dtype=bool)  # enough words to compare text
        self._entities: list[frozenset[str]] = [frozenset()] * capacity
        self._slot: dict[int, int] = {}  # article id -> row
        self._article: dict[int, int] = {}  # row -> article id
        self._free: list[int] = list(range(capacity - 1, -1, -1))
        self._state = np.zeros(capacity, dtype=np.int8)  # _NONE, _TAIL or _MAIN
        self._main = np.empty(0, dtype=np.uint64)  # sorted entries, see _LOW and _HIGH
        self._stale = 0  # rows that left the main segment since the last merge
        # Tail: np.empty commits its pages only as rows are written.
        self._tail_keys = np.empty((tail_rows, BANDS), dtype=np.int64)
        self._tail_row = np.empty(tail_rows, dtype=np.int64)
        self._tail_len = 0
        self._tail_slot: dict[int, int] = {}  # row -> its tail row
        self._tail_bound = min(tail_rows, _MIN_TAIL)  # rows that make a merge due
        self._named: dict[str, set[int]] = {}  # entity -> rows
        # drop_story() is called for every new story; its id is then above every story
        # indexed (SQLite picks max(id) + 1), which this tells without a scan.
        self._max_story = -1
        self.newest = float("-inf")
        self._evicted_at = float("-inf")  # cutoff of the last eviction scan
        self.last_article_id = 0  # highest article id seen: what a reload catches up from

    def __len__(self) -> int:
        return len(self._slot)

    @staticmethod
    def _band_keys(signature: np.ndarray) -> np.ndarray:
        """One signed 63-bit key per band: the band's two values and its number, mixed."""
        values = np.ascontiguousarray(signature, dtype=np.uint32).view(np.uint64)
        with np.errstate(over="ignore"):  # wrap-around multiplication is the point
            mixed = values * _MIX + _BAND_SALT
        return (mixed >> np.uint64(1)).astype(np.int64)

    @staticmethod
    def _key_tops(keys: np.ndarray) -> np.ndarray:
        """The top 32 bits of 63-bit band keys, in the high half of a uint64 (see _HIGH)."""
        return (keys.view(np.uint64) << np.uint64(1)) & _HIGH

    def _keys_at(self, pos: np.ndarray) -> np.ndarray:
        """The band keys at flat positions row * BANDS + band, from the stored signatures:
        `_band_keys` of those rows, computed for just these bands."""
        values = self._sigs.view(np.uint64).reshape(-1)[pos]
        with np.errstate(over="ignore"):
            mixed = values * _MIX + _BAND_SALT[pos % BANDS]
        return (mixed >> np.uint64(1)).astype(np.int64)

    # ------------------------------------------------------------ updating

    def add(self, article_id: int, story_id: int, f: Features) -> None:
        if article_id in self._slot:
            self.remove(article_id)
        if not self._free:
            self._grow()
        row = self._free.pop()
        self._slot[article_id], self._article[row] = row, article_id
        self._sigs[row], self._at[row], self._story[row] = f.signature, f.at, story_id
        self._usable[row] = f.size >= MIN_WORDS
        self._entities[row] = f.entities
        self._max_story = max(self._max_story, story_id)
        if self._usable[row]:
            if self._tail_len >= self._tail_bound:
                self._merge()
            slot = self._tail_len
            self._tail_keys[slot] = self._band_keys(f.signature)
            self._tail_row[slot] = row
            self._tail_slot[row] = slot
            self._tail_len += 1
            self._state[row] = _TAIL
        for name in f.entities:
            self._named.setdefault(name, set()).add(row)
        self.last_article_id = max(self.last_article_id, article_id)
        if f.at > self.newest:
            self.newest = f.at
            self._evict_before(f.at - self.window)

    def remove(self, article_id: int) -> None:
        row = self._slot.pop(article_id, None)
        if row is None:
            return
        del self._article[row]
        if self._state[row] == _MAIN:
            self._stale += 1  # its entries stay in the main segment until the next merge
        elif self._state[row] == _TAIL:
            self._tail_keys[self._tail_slot.pop(row)] = _NO_KEY
        self._state[row] = _NONE
        for name in self._entities[row]:
            named = self._named.get(name)
            if named is not None:
                named.discard(row)
                if not named:
                    del self._named[name]
        self._entities[row] = frozenset()
        self._free.append(row)

    def drop_story(self, story_id: int) -> None:
        """Forget a story (it was rolled back with its transaction)."""
        if story_id > self._max_story:
            return  # the usual call, for a new story: nothing to scan for
        # Only after a rollback: a scan of one int64 per row (~50 us at 100,000 rows).
        for row in np.flatnonzero(self._story == story_id).tolist():
            if row in self._article:
                self.remove(self._article[row])

    def _evict_before(self, cutoff: float) -> None:
        # Eviction scans the array: cheap, and only when time moves on by a whole hour.
        if self._evicted_at > cutoff - 3600:
            return
        self._evicted_at = cutoff
        occupied = np.fromiter(self._article, dtype=np.int64, count=len(self._article))
        if occupied.size:
            old = occupied[self._at[occupied] < cutoff]
            for row in old.tolist():
                self.remove(self._article[row])

    def _grow(self) -> None:
        size = len(self._sigs)
        if 2 * size * BANDS >= 1 << 32:  # flat positions must stay below _LOW
            raise OverflowError("story index: more than 33 million rows")
        # Rows keep their number, so the main segment's flat positions stay valid.
        self._sigs = np.concatenate([self._sigs, np.zeros_like(self._sigs)])
        self._state = np.concatenate([self._state, np.zeros_like(self._state)])
        self._at = np.concatenate([self._at, np.zeros_like(self._at)])
        self._story = np.concatenate([self._story, np.zeros_like(self._story)])
        self._usable = np.concatenate([self._usable, np.zeros_like(self._usable)])
        self._entities.extend([frozenset()] * size)
        self._free.extend(range(2 * size - 1, size - 1, -1))

    def _merge(self) -> None:
        """Move the tail into the main segment and drop the main segment's stale entries:
        linear in the window (the tail is sorted, then inserted into the sorted segment)."""
        # Temporaries are kept to ~2 copies of the segment: it is 512 bytes an article.
        if self._stale:
            # Rows removed (_NONE) or reused (_TAIL: their current keys are in the tail).
            rows = self._main & _LOW
            rows //= BANDS
            keep = self._state[rows] == _MAIN
            del rows
            self._main = self._main[keep]
            del keep
        n = self._tail_len
        live = self._tail_keys[:n, 0] != _NO_KEY  # removed rows' tail rows are blanked
        rows = self._tail_row[:n][live]
        pos = rows[:, None] * BANDS + np.arange(BANDS)
        tail = np.sort((self._key_tops(self._tail_keys[:n][live]) | pos.astype(np.uint64))
                       .ravel())
        # np.insert puts each tail entry before the first main entry above it: one pass.
        self._main = np.insert(self._main, np.searchsorted(self._main, tail), tail)
        self._state[rows] = _MAIN
        self._stale = 0
        self._tail_len = 0
        self._tail_slot.clear()
        self._tail_bound = min(len(self._tail_keys),
                               max(_MIN_TAIL, math.isqrt(16 * self._main.size // BANDS)))

    # ------------------------------------------------------------ querying

    def _sharing_bands(self, f: Features) -> np.ndarray:
        """Rows sharing a band key with `f`, bands shared by too many rows left out (the
        LSH stop-list: those come from common words). A row may appear more than once."""
        if self._stale > self._tail_bound // 4:
            self._merge()  # after an eviction: stale entries would only be skipped
        keys = self._band_keys(f.signature)
        # Tail: exact, one vectorised pass; the matches are few, so taken as flat indices.
        hit = np.flatnonzero(self._tail_keys[:self._tail_len] == keys)
        tail_band, tail_row = hit % BANDS, self._tail_row[hit // BANDS]
        tail_count = np.bincount(tail_band, minlength=BANDS)
        # Main segment: each band's range of entries whose top 32 bits agree. One search
        # for the 128 range ends in increasing order: numpy starts each from the last one,
        # which halves the cache misses of two unsorted searches. Entries are below
        # top | _LOW, as their positions are (see _grow).
        tops = self._key_tops(keys)
        order = np.argsort(tops)
        ends = np.empty(2 * BANDS, dtype=np.uint64)
        ends[0::2], ends[1::2] = tops[order], tops[order] | _LOW
        found = np.searchsorted(self._main, ends)
        lo, length = np.empty(BANDS, dtype=np.intp), np.empty(BANDS, dtype=np.intp)
        lo[order], length[order] = found[0::2], found[1::2] - found[0::2]
        # A range this long is common even if all its stale and colliding entries are
        # taken off: not read. The others are read, so the counts below are exact.
        surely_common = length - self._stale - _COLLISION_SLACK + tail_count > MAX_BUCKET
        length[surely_common] = 0
        # Gather all ranges at once: entry i of band b is at lo[b] + i.
        last = np.cumsum(length)
        band = np.repeat(np.arange(BANDS), length)
        entries = self._main[np.arange(last[-1]) + np.repeat(lo - last + length, length)]
        pos = (entries & _LOW).astype(np.int64)  # int64 like `band`: uint64 would mix as float
        row = pos // BANDS
        # Live entries only: the row is unchanged since the merge, and the entry is this
        # band's and has the full key (not just its top 32 bits).
        live = (self._state[row] == _MAIN) & (pos % BANDS == band)
        live[live] = self._keys_at(pos[live]) == keys[band[live]]
        band = np.concatenate([band[live], tail_band])
        row = np.concatenate([row[live], tail_row])
        common = surely_common | (np.bincount(band, minlength=BANDS) > MAX_BUCKET)
        return row[~common[band]]

    def _candidates(self, f: Features) -> np.ndarray:
        """Window rows that may be in `f`'s story: sharing a band that is not common, or
        naming a rare entity."""
        found = [self._sharing_bands(f)] if f.size >= MIN_WORDS and self._slot else []
        for name in f.entities:
            named = self._named.get(name)
            if named and len(named) <= RARE_ENTITY:
                found.append(np.fromiter(named, dtype=np.int64, count=len(named)))
        if not found:
            return np.empty(0, dtype=np.int64)
        rows = np.sort(np.concatenate(found))
        first = np.ones(rows.size, dtype=bool)  # np.unique: 10 times slower here
        first[1:] = rows[1:] != rows[:-1]
        rows = rows[first]
        return rows[np.abs(self._at[rows] - f.at) <= self.window]

    def _best_per_story(self, rows: np.ndarray, text: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
        """At most PER_STORY rows of each story, the most similar first: a big story's
        hundred near-identical reports need not each be weighed in Python."""
        if rows.size <= PER_STORY:
            return rows, text
        stories = self._story[rows]
        order = np.lexsort((-text, stories))  # by story, then by similarity, descending
        stories, rows, text = stories[order], rows[order], text[order]
        starts = np.flatnonzero(np.r_[True, stories[1:] != stories[:-1]])
        rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
        chosen = rank < PER_STORY
        return rows[chosen], text[chosen]

    def decide(self, f: Features) -> list[Decision]:
        """Stories this article may join, best first (one entry per story)."""
        rows = self._candidates(f)
        if not rows.size:
            return []
        # Equal values per row, 8 at a time: the row's booleans read as uint64 words of
        # 0/1 bytes add up bytewise (at most NUM_PERM / 8 a byte, no carry), and the
        # multiplication sums the 8 bytes into the top one. ~30% faster than mean(axis=1)
        # at thousands of candidates, and the same fractions exactly.
        same = (self._sigs[rows] == f.signature).view(np.uint64).sum(axis=1)
        text = ((same * _BYTES) >> np.uint64(56)) / NUM_PERM
        if f.size < MIN_WORDS:
            text[:] = 0.0
        text[~self._usable[rows]] = 0.0
        # Every rule needs some text similarity: only those rows are looked at in Python.
        keep = text >= min(TEXT_WITH_ENTITIES, TEXT_ALONE)
        rows, text = rows[keep], text[keep]
        rows, text = self._best_per_story(rows, text)
        best: dict[int, Decision] = {}
        for i, row in enumerate(rows.tolist()):
            other = self._entities[row]
            union = f.entities | other
            entities = len(f.entities & other) / len(union) if union else 0.0
            if not _joins(float(text[i]), entities, bool(union)):
                continue
            story = int(self._story[row])
            score = float(text[i]) + 0.5 * entities
            current = best.get(story)
            if current is None or score > current.text + 0.5 * current.entities:
                best[story] = Decision(story, float(text[i]), entities)
        return sorted(best.values(), key=lambda d: -(d.text + 0.5 * d.entities))
