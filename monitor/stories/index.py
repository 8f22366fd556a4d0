"""The stories of the recent window, in memory, for fast "which story is this article in?".

Candidate retrieval is MinHash LSH: the signature is cut into bands of 2 values, and two
articles whose Jaccard similarity is s share at least one of 64 bands with probability
1 - (1 - s^2)^64 (0.77 at s = 0.15, 0.96 at 0.22, 0.15 at an unrelated 0.05). Articles that
share a rarely named entity are added as candidates too. Candidates are then scored exactly
on the whole signature, vectorised. The index is rebuilt from `story_signatures` when a
Store first needs it, and holds only the window (older articles are evicted).

The work per article is bounded whatever the window: of each band, at most BAND_SAMPLE
members are candidates, the most recently added ones. A band shared by hundreds of window
articles comes from common words, or from one big story (600 wire copies of an event in
72 hours). For the big story any of its reports identifies it, the newest best: a story's
reports come close together in time, a common word's articles are spread over the window.
For common words the sample costs a few rejections, not hundreds. (A stop-list skipping
such bands, as before, cost up to its limit per band, and never found a big story: all
its bands were skipped.) A band of at most BAND_SAMPLE members is taken whole, so matches
sharing a band particular to their event are all found; one sharing only bands of common
words is found if it is among their newest members. Entity candidates are bounded too:
those that may agree on entities enough to join, at most ENTITY_SAMPLE (see _naming).

Band keys are looked up in two numpy structures, so that a lookup costs what it takes, not
the size of the window (up to 100,000 articles), in as little memory as the int64 key
matrix once scanned whole (dictionaries of buckets cost ~10 times it, and the daemon's RSS
must stay flat):
- the main segment: one sorted uint64 per (article, band), the top 32 bits of the band key
  above the entry's sequence number * BANDS + band (512 bytes an article). Sequence
  numbers are given in the order rows were added, so a band's entries run from oldest to
  newest, and its newest are read back from the end of its range. The fence, every 16th
  entry, finds that end with few cache misses. Entries are checked on the stored
  signature (the row has the band's two values), which rejects those whose top 32 bits
  merely collide;
- the tail: the top 32 bits of the keys of the articles added since the last merge, one
  row each, found through their sorted (band, top bits, tail row) entries (and checked
  likewise). When it holds an eighth of the window it is merged into the main segment in
  linear time, in place (segment.py), and the entries of articles removed meanwhile are
  dropped.
A removed row's sequence number is cleared at once, so its main-segment entries, stale
until the next merge, are never taken, even if the row is reused; a band is read back far
enough to find its newest live members past them.

The Store decides a whole batch at once (`add_batch`: a group commit of up to 500 feed
entries), so the lookups above run as one numpy pass over all of the batch's bands instead
of ~30 small numpy calls per article (a tenth of a millisecond in call overhead alone), and
the tail is found through sorted entries. The batch's own earlier articles are candidates
of its later ones, found by sorting its band values; each article is then decided in turn
with the stories its predecessors were given, exactly as one-by-one adds would decide.

An article that no story takes on text is offered to the cross-language step (crosslang.py:
the stories of its watched actors, in other languages, compared on names, places, incident
types and numbers), which costs a few small set comparisons, only for those articles.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .crosslang import CrossLinker
from .features import NUM_PERM, Features
from .segment import FENCE as _FENCE
from .segment import Segment, grow

ROWS = 2  # values per LSH band (_band_keys reads the two uint32 as one uint64)
BANDS = NUM_PERM // ROWS
RARE_ENTITY = 300  # an entity named by at most this many window articles is a candidate key
# Of a band's members, at most this many are candidates, the most recently added: the
# work per article is bounded whatever the window (see the module docstring).
BAND_SAMPLE = 16
ENTITY_SAMPLE = 16  # rows naming rare entities of the article taken at most (_naming)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BAND_SALT = np.arange(NUM_PERM // ROWS, dtype=np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
_BYTES = np.uint64(0x0101010101010101)  # adds a uint64's 8 bytes into its top one
assert NUM_PERM % 8 == 0 and NUM_PERM < 256, "_equal_share() counts equal values in bytes"
assert BANDS == 64, "entries keep the band in their low 6 bits (_BAND_BITS)"
# A main-segment entry is one uint64: the top 32 of the band key's 63 bits, then the row's
# sequence number * BANDS + band (below 2**32 - 1), so sorting entries sorts by key, then
# by the order rows were added.
_LOW = np.uint64(0xFFFFFFFF)
_BAND_BITS = 6  # the band is the low 6 bits of an entry
_HIGH = ~_LOW
# The tail: a lookup finds its rows by binary search in its sorted entries, whatever its
# size, while a merge rewrites the main segment (~1 us per window article): so the tail is
# merged when it holds an eighth of the window's rows, from 64 rows up to this many (2 MB).
TAIL_ROWS = 8192
_MIN_TAIL = 64
# Stale main-segment rows that make a merge due: every lookup reads past as many entries.
_STALE_MERGE = 64
# A lookup finds tail rows through sorted entries: (band, key's top 32 bits, tail slot).
_SLOT_BITS = np.uint64(13)
_SLOT_MASK = np.uint64((1 << 13) - 1)
_BAND_NUMBERS = np.arange(BANDS, dtype=np.uint64)[None, :]
_CHUNK = 1 << 17  # values read per vectorised step of a lookup: bounds its temporaries
# A band's range of the main segment is read back BAND_SAMPLE + stale rows + this many
# entries: enough to find BAND_SAMPLE live ones unless more than this many of them merely
# collide on the top 32 bits (~0.0015 ranges with any collision at 100,000 articles).
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
    # Signals shared with a report of the story in another language (crosslang.agreement);
    # 0: decided on text.
    linked: int = 0


def _joins(text: float, entities: float, any_entities: bool) -> bool:
    if text >= NEAR_DUPLICATE:
        return True
    if any_entities:
        return text >= TEXT_WITH_ENTITIES and entities >= ENTITY_AGREEMENT
    return text >= TEXT_ALONE


def _entity_bit(name: str) -> int:
    """An entity name's bit in a row's _entity_bits: a row that names the entity has its
    bit. (Not hash(): salted per process, it would make decisions vary between runs.)"""
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) & 63


def _entity_bits(names: frozenset[str]) -> np.uint64:
    """The bits of an article's entity names (see _naming)."""
    bits = 0
    for name in names:
        bits |= 1 << _entity_bit(name)
    return np.uint64(bits)


def _equal_share(rows: np.ndarray, signature: np.ndarray) -> np.ndarray:
    """The share of each row's values equal to the signature's, 8 at a time: the row's
    booleans read as uint64 words of 0/1 bytes add up bytewise (at most NUM_PERM / 8 a
    byte, no carry), and the multiplication sums the 8 bytes into the top one. ~30% faster
    than mean(axis=1) at thousands of candidates, and the same fractions exactly."""
    same = (rows == signature).view(np.uint64).sum(axis=1)
    return ((same * _BYTES) >> np.uint64(56)) / NUM_PERM


def _first(query: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Of entries sorted by query: whether each is among the first room[query] of its
    query's."""
    place = np.arange(query.size)
    starts = np.ones(query.size, dtype=bool)
    starts[1:] = query[1:] != query[:-1]
    rank = place - np.maximum.accumulate(np.where(starts, place, 0))
    return rank < room[query]


def _stored(signature: np.ndarray) -> np.ndarray:
    """What the index keeps of a signature: the low 16 bits of each value. b-bit MinHash
    (Li and König): two different values agree on 16 bits once in 65,536, which moves an
    estimate by 1/128 once in ~500 comparisons of unrelated articles (never by more than a
    value or two), for half the memory and half the bytes read per comparison."""
    return np.asarray(signature, dtype=np.uint32).astype(np.uint16)


def _band_values(signature: np.ndarray) -> np.ndarray:
    """A signature's bands, each its two values read as one uint64."""
    return np.ascontiguousarray(signature, dtype=np.uint32).view(np.uint64)


class StoryIndex:
    """Window articles: signature, time, story and entities, with LSH buckets."""

    def __init__(self, window: float, capacity: int = 4096, tail_rows: int = TAIL_ROWS,
                 cross_language: bool = True):
        self.window = window
        self._sigs = np.zeros((capacity, NUM_PERM), dtype=np.uint16)  # see _stored()
        self._at = np.zeros(capacity, dtype=np.float64)
        self._story = np.zeros(capacity, dtype=np.int64)
        self._usable = np.zeros(capacity, dtype=bool)  # enough words to compare text
        self._entities: list[frozenset[str]] = [frozenset()] * capacity
        # One object per distinct set of names: articles name the same few again and again.
        self._entity_sets: dict[frozenset[str], frozenset[str]] = {}
        self._named_count = np.zeros(capacity, dtype=np.int32)  # len(self._entities[row])
        self._entity_bits = np.zeros(capacity, dtype=np.uint64)  # see _entity_bits()
        self._slot: dict[int, int] = {}  # article id -> row
        self._article = np.full(capacity, -1, dtype=np.int64)  # row -> article id, or -1
        self._free: list[int] = list(range(capacity - 1, -1, -1))
        self._segment = Segment()  # the main segment: sorted entries, see _LOW and _HIGH
        # Main-segment rows are named by a sequence number in their entries, given in the
        # order rows were added, so that a band's entries run from oldest to newest.
        self._seq = np.full(capacity, -1, dtype=np.int64)  # row -> its sequence number
        self._seq_row = np.full(capacity, -1, dtype=np.int64)  # sequence -> row, or -1
        self._next_seq = 0
        self._stale = 0  # sequence numbers whose row left since the last merge
        self._dead = 0  # sequence numbers whose row left since they were last given
        # Tail: np.empty commits its pages only as rows are written.
        self._tail_tops = np.empty((tail_rows, BANDS), dtype=np.uint32)  # see _key_tops
        self._tail_row = np.empty(tail_rows, dtype=np.int64)  # -1: removed since added
        self._tail_len = 0
        self._tail_slot: dict[int, int] = {}  # row -> its tail row
        self._tail_bound = min(tail_rows, _MIN_TAIL)  # rows that make a merge due
        if tail_rows > 1 << int(_SLOT_BITS):
            raise ValueError(f"story index: tail_rows above {1 << int(_SLOT_BITS)}")
        # Sorted, see _tail_entries; kept like the main segment, merged in place rather than
        # rebuilt (np.insert) for every batch.
        self._tail_sorted = Segment()
        self._tail_dead = 0  # tail rows removed since added
        self._named: dict[str, set[int]] = {}  # entity -> rows
        # Above every story indexed: forget_stories_from() is called for every batch with
        # the first id it may give (the stories' max(id) + 1), which this tells is not
        # indexed without a scan.
        self._max_story = -1
        self.newest = float("-inf")
        self._evicted_at = float("-inf")  # cutoff of the last eviction scan
        self.last_article_id = 0  # highest article id seen: what a reload catches up from
        # Reports in other languages, found through the actors they name (crosslang.py).
        # Off: text alone decides (what bench/query.py measures the step against).
        self._cross = CrossLinker(self._still_in) if cross_language else None

    def __len__(self) -> int:
        return len(self._slot)

    @staticmethod
    def _band_keys(signature: np.ndarray) -> np.ndarray:
        """One signed 63-bit key per band: the band's two values and its number, mixed."""
        with np.errstate(over="ignore"):  # wrap-around multiplication is the point
            mixed = _band_values(signature) * _MIX + _BAND_SALT
        return (mixed >> np.uint64(1)).astype(np.int64)

    @staticmethod
    def _key_tops(keys: np.ndarray) -> np.ndarray:
        """The top 32 bits of 63-bit band keys (what the tail holds and the main segment
        is sorted by)."""
        return (keys >> 31).astype(np.uint32)

    # ------------------------------------------------------------ updating

    def add(self, article_id: int, story_id: int, f: Features) -> None:
        self.add_known([article_id], [story_id], [f])

    def add_known(self, article_ids: Sequence[int], story_ids: Sequence[int],
                  batch: Sequence[Features]) -> None:
        """Add articles (distinct ids) whose stories are known: a reload of the window."""
        rows = self._reserve(article_ids, batch)
        for row, story_id, f in zip(rows.tolist(), story_ids, batch, strict=True):
            self._assign(row, story_id, f)
        self._added(rows, article_ids, np.array([f.signature for f in batch], dtype=np.uint32),
                    np.array([f.at for f in batch]))

    def remove(self, article_id: int) -> None:
        row = self._slot.pop(article_id, None)
        if row is None:
            return
        self._article[row] = -1
        seq = int(self._seq[row])
        if seq >= 0:  # its entries stay in the main segment until the next merge
            self._seq_row[seq] = self._seq[row] = -1
            self._stale += 1
            self._dead += 1
        elif row in self._tail_slot:
            self._tail_row[self._tail_slot.pop(row)] = -1
            self._tail_dead += 1
        for name in self._entities[row]:
            named = self._named.get(name)
            if named is not None:
                named.discard(row)
                if not named:
                    del self._named[name]
        self._entities[row], self._named_count[row] = frozenset(), 0
        self._free.append(row)

    def drop_story(self, story_id: int) -> None:
        """Forget a story (it was rolled back with its transaction)."""
        if story_id <= self._max_story:
            self._remove_rows(self._story == story_id)

    def _still_in(self, article_id: int, story_id: int, at: float) -> bool:
        """Whether an article is indexed, in this story, as it was (not re-stored)."""
        row = self._slot.get(article_id)
        return row is not None and self._story[row] == story_id and self._at[row] == at

    def _remove_rows(self, chosen: np.ndarray) -> None:
        """Remove the articles of the rows `chosen` marks (a scan of one int64 per row:
        ~50 us at 100,000 rows, only after a rollback)."""
        for row in np.flatnonzero(chosen & (self._article >= 0)).tolist():
            self.remove(int(self._article[row]))

    def forget_stories_from(self, story_id: int) -> None:
        """Forget the stories numbered `story_id` and above (rolled back: their numbers are
        about to be given again)."""
        if story_id > self._max_story:
            return  # the usual call: nothing to scan for
        self._remove_rows(self._story >= story_id)
        self._max_story = story_id - 1

    def _to_tail(self, rows: np.ndarray, sigs: np.ndarray) -> None:
        """Append rows to the tail, in order, merging it whenever it is due."""
        tops = self._key_tops(self._band_keys(sigs))
        done = 0
        while done < rows.size:
            if self._tail_len >= self._tail_bound:
                self._merge()
            n = min(rows.size - done, self._tail_bound - self._tail_len)
            slots = np.arange(self._tail_len, self._tail_len + n)
            self._tail_tops[slots] = tops[done:done + n]
            self._tail_row[slots] = rows[done:done + n]
            self._tail_slot.update(zip(rows[done:done + n].tolist(), slots.tolist(),
                                       strict=True))
            self._tail_len += n
            self._tail_sorted.merge(self._tail_entries(slots))
            done += n

    def _evict_before(self, cutoff: float) -> None:
        # Eviction scans the array: cheap, and only when time moves on by a whole hour.
        if self._evicted_at > cutoff - 3600:
            return
        self._evicted_at = cutoff
        occupied = np.flatnonzero(self._article >= 0)
        for row in occupied[self._at[occupied] < cutoff].tolist():
            self.remove(int(self._article[row]))

    def _grow(self) -> None:
        size = len(self._sigs)
        bigger = size + max(size // 2, 16)  # not doubled: the spare rows are memory too
        # Rows keep their number, so the sequence numbers' rows stay valid.
        for name in ("_sigs", "_at", "_story", "_usable", "_named_count", "_entity_bits"):
            grow(self, name, bigger)
        grow(self, "_seq", bigger, fill=-1)
        grow(self, "_article", bigger, fill=-1)
        self._entities.extend([frozenset()] * (bigger - size))
        self._free.extend(range(bigger - 1, size - 1, -1))

    def _interned(self, names: frozenset[str]) -> frozenset[str]:
        if len(self._entity_sets) > 65_536:  # bounded: a long run meets many sets
            self._entity_sets.clear()
        return self._entity_sets.setdefault(names, names)

    @property
    def _main(self) -> np.ndarray:
        return self._segment.entries

    def _merge(self) -> None:
        """Move the tail into the main segment and drop the main segment's stale entries:
        linear in the window (the tail is sorted, then inserted into the sorted segment)."""
        if self._stale:
            self._drop_stale()
        n = self._tail_len
        live = self._tail_row[:n] >= 0  # removed rows' tail rows are blanked
        rows = self._tail_row[:n][live]
        if self._next_seq + rows.size > len(self._seq_row):
            self._number_space(rows.size)
        # The tail's rows, in the order added, follow every row of the main segment.
        seqs = np.arange(self._next_seq, self._next_seq + rows.size)
        self._seq[rows], self._seq_row[seqs] = seqs, rows
        self._next_seq += rows.size
        tail = self._tail_tops[:n][live].astype(np.uint64)
        tail <<= np.uint64(32)  # in place: the tail is up to an eighth of the window
        tail |= seqs.astype(np.uint64)[:, None] * np.uint64(BANDS) + _BAND_NUMBERS
        tail = tail.ravel()
        tail.sort()
        self._segment.merge(tail)
        self._tail_len = self._tail_dead = 0
        self._tail_slot.clear()
        self._tail_sorted.clear()
        self._tail_bound = min(len(self._tail_tops),
                               max(_MIN_TAIL, self._main.size // BANDS // 8))

    def _drop_stale(self) -> None:
        """Drop the main segment's entries of rows that left."""
        live = self._seq_row >= 0
        self._segment.keep(lambda chunk: np.take(live, (chunk & _LOW).astype(np.int64)
                                                 >> _BAND_BITS))
        self._stale = 0

    def _number_space(self, wanted: int) -> None:
        """Room for `wanted` more sequence numbers: the numbers of rows that left are
        taken back when they are half of those given, else the table grows."""
        if self._dead and 2 * self._dead >= self._next_seq:
            # Number the rows 0, 1, ... in their order: a map that keeps the order of the
            # entries, so the segment stays sorted. (_merge dropped the stale entries, so
            # every entry's number has a row.)
            live = self._seq_row[:self._next_seq] >= 0
            renumbered = ((np.cumsum(live) - 1) << _BAND_BITS).astype(np.uint64)

            def renumber(chunk: np.ndarray) -> None:
                low = chunk & _LOW
                chunk ^= low  # the top bits only
                chunk |= np.take(renumbered, (low >> np.uint64(_BAND_BITS)).astype(np.int64))
                chunk |= low & np.uint64(BANDS - 1)

            self._segment.rewrite(renumber)
            rows = self._seq_row[:self._next_seq][live]
            self._seq_row[:] = -1
            self._seq_row[:rows.size], self._seq[rows] = rows, np.arange(rows.size)
            self._next_seq, self._dead = rows.size, 0
        size = len(self._seq_row)
        while self._next_seq + wanted > size:
            size *= 2
        if size * BANDS >= 1 << 32:  # entries must stay below _LOW
            raise OverflowError("story index: more than 67 million rows in 72 hours")
        if size > len(self._seq_row):  # numbers from _next_seq on name no row: -1 all
            grow(self, "_seq_row", size, fill=-1)

    # ------------------------------------------------------------ querying
    # A lookup serves a batch of articles at once (one numpy pass for all their bands, not
    # ~30 small numpy calls per article), as if each were decided and then added in turn:
    # the batch's own earlier articles are candidates of its later ones.

    def _main_members(self, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The newest main-segment entries whose top bits are `high` (one query per band
        looked up, the key's top 32 bits above 32 zero bits): (query, entry), each query's
        newest first. Read back BAND_SAMPLE + stale + _COLLISION_SLACK entries from the end
        of the band's range, found through the fence (see the module docstring)."""
        if not self._main.size:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.uint64)
        above = high | _LOW  # no entry has all its low bits set
        order = np.argsort(above)  # numpy resumes each search from the last when sorted
        block = np.empty(high.size, dtype=np.intp)
        block[order] = np.searchsorted(self._segment.fence, above[order])
        end = np.minimum(block * _FENCE, self._main.size - 1)
        read = _FENCE + BAND_SAMPLE + self._stale + _COLLISION_SLACK
        back = np.arange(read)
        queries, entries = [], []
        step = max(1, _CHUNK // read)  # bounds the temporaries
        for start in range(0, high.size, step):
            at = end[start:start + step, None] - back
            got = self._main.take(at, mode="clip")
            inside = np.flatnonzero(((got & _HIGH) == high[start:start + step, None])
                                    & (at >= 0))
            queries.append(start + inside // read)
            entries.append(got.ravel()[inside])
        return np.concatenate(queries), np.concatenate(entries)

    def _tail_members(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The newest tail rows under each query's (band, top bits) `keys`: (query, row),
        each query's newest first; rows removed since they were added are left out."""
        index = self._tail_sorted.entries
        if not index.size:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int64)
        lo = np.searchsorted(index, keys << _SLOT_BITS)
        hi = np.searchsorted(index, (keys + np.uint64(1)) << _SLOT_BITS)
        read = int(min((hi - lo).max(initial=0), BAND_SAMPLE + self._tail_dead
                       + _COLLISION_SLACK))
        if not read:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.int64)
        at = hi[:, None] - 1 - np.arange(read)
        inside = np.flatnonzero(at >= lo[:, None])
        slots = (index[at.ravel()[inside]] & _SLOT_MASK).astype(np.intp)
        rows = self._tail_row[slots]
        live = rows >= 0
        return (inside // read)[live], rows[live]

    def _tail_entries(self, slots: np.ndarray) -> np.ndarray:
        """Sorted lookup entries of tail slots: (band, top bits, slot) in one uint64."""
        entries = ((_BAND_NUMBERS << np.uint64(32)) | self._tail_tops[slots]) << _SLOT_BITS
        entries |= slots.astype(np.uint64)[:, None]
        return np.sort(entries.ravel())

    @staticmethod
    def _batch_members(values: np.ndarray, usable: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Pairs of a batch's own articles sharing a band (both with enough words): for
        each (later article, band), the BAND_SAMPLE nearest earlier ones. Returns (query,
        earlier article)."""
        articles = np.repeat(np.flatnonzero(usable), BANDS)
        bands = np.tile(np.arange(BANDS), articles.size // BANDS)
        keys = values[usable].ravel()
        order = np.lexsort((articles, keys, bands))
        articles, keys, bands = articles[order], keys[order], bands[order]
        same = (keys[1:] == keys[:-1]) & (bands[1:] == bands[:-1])
        queries, earlier = [], []
        shared = np.flatnonzero(same) + 1  # positions whose predecessor shares the band
        for rank in range(BAND_SAMPLE):
            if not shared.size:
                break
            queries.append(articles[shared] * BANDS + bands[shared])
            earlier.append(articles[shared - rank - 1])
            # Those whose article `rank + 2` places back still shares the band go on.
            shared = shared[shared - rank - 2 >= 0]
            shared = shared[same[shared - rank - 2]]
        if not queries:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        return np.concatenate(queries), np.concatenate(earlier)

    def _band_pairs(self, sigs: np.ndarray, ats: np.ndarray, usable: np.ndarray,
                    rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(article, row) pairs: each article of the batch with the rows sharing one of its
        bands (see _band_members). Each pair once, within the window, both with enough
        words."""
        article, row = self._band_members(sigs, usable, rows)
        first = self._distinct(article, row)
        article, row = article[first], row[first]
        near = usable[article] & (np.abs(self._at[row] - ats[article]) <= self.window)
        return article[near], row[near]

    def _band_members(self, sigs: np.ndarray, usable: np.ndarray,
                      rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(article, row) for each band of each article of the batch: at most BAND_SAMPLE
        rows sharing it, the most recently added ones, where the batch's own earlier
        articles (`rows`: their rows, reserved by add_batch) count as added just before
        it. A row comes once per band it is taken for; the window is not looked at."""
        if self._stale > min(_STALE_MERGE, self._tail_bound // 4):
            self._merge()  # after an eviction: stale entries would only be skipped
        values = _band_values(sigs)  # (articles, BANDS): the full values
        flat_tops = self._key_tops(self._band_keys(sigs)).ravel().astype(np.uint64)
        # Candidates from three places, each query's newest first within each: the batch's
        # earlier articles, then the tail, then the main segment (rows added before).
        query_m, entries = self._main_members(flat_tops << np.uint64(32))
        low = (entries & _LOW).astype(np.int64)
        row_m = self._seq_row[low >> _BAND_BITS]
        fits = (row_m >= 0) & ((low & (BANDS - 1)) == query_m % BANDS)
        query_t, row_t = self._tail_members((np.tile(_BAND_NUMBERS.ravel(), len(sigs))
                                             << np.uint64(32)) | flat_tops)
        query_b, earlier = (self._batch_members(values, usable) if rows is not None
                            else (np.empty(0, dtype=np.intp),) * 2)
        row_b = rows[earlier] if rows is not None else earlier
        # The entry is this band's if the row has the band's two values (the full key).
        stored = self._sigs.view(np.uint32).reshape(-1)  # row r's band b at r * BANDS + b
        flat = _stored(sigs).view(np.uint32).ravel()
        query_m, row_m = query_m[fits], row_m[fits]
        full = stored[row_t * BANDS + query_t % BANDS] == flat[query_t]
        query_t, row_t = query_t[full], row_t[full]
        full = stored[row_m * BANDS + query_m % BANDS] == flat[query_m]
        query_m, row_m = query_m[full], row_m[full]
        # Of each band the BAND_SAMPLE newest: the batch's earlier articles (at most that
        # many, nearest first), then the tail's rows, then the main segment's.
        room = BAND_SAMPLE - np.bincount(query_b, minlength=flat.size)
        taken_t = _first(query_t, room)
        room -= np.bincount(query_t[taken_t], minlength=flat.size)
        taken_m = _first(query_m, room)
        query = np.concatenate([query_b, query_t[taken_t], query_m[taken_m]])
        return query // BANDS, np.concatenate([row_b, row_t[taken_t], row_m[taken_m]])

    def _distinct(self, article: np.ndarray, row: np.ndarray) -> np.ndarray:
        """Where each (article, row) pair first comes (a row may share several bands), by
        article, then row: the positions to keep."""
        pair = article.astype(np.int64) * len(self._sigs) + row
        order = np.argsort(pair, kind="stable")
        pair = pair[order]
        first = np.ones(pair.size, dtype=bool)  # np.unique: 10 times slower here
        first[1:] = pair[1:] != pair[:-1]
        return order[first]

    def _scores(self, sigs: np.ndarray, article: np.ndarray, row: np.ndarray) -> np.ndarray:
        """Estimated Jaccard similarity of each pair's article and row."""
        text = np.empty(article.size, dtype=np.float64)
        kept = _stored(sigs)
        step = max(1, _CHUNK // NUM_PERM)  # bounds the temporaries
        for start in range(0, article.size, step):
            end = start + step
            text[start:end] = _equal_share(self._sigs[row[start:end]], kept[article[start:end]])
        return text

    def _naming(self, f: Features) -> np.ndarray:
        """Rows naming a rare entity of `f` whose entities may agree with its own enough to
        join it (ENTITY_AGREEMENT): at most ENTITY_SAMPLE, those sharing the most entities
        first, then the most recent. Rows agreeing less could only join as near-duplicates,
        which share a dozen bands and are found by them."""
        lists, common = [], []
        for name in f.entities:
            named = self._named.get(name)
            if named and len(named) <= RARE_ENTITY:
                lists.append(np.fromiter(named, dtype=np.int64, count=len(named)))
            elif named:
                common.append(_entity_bit(name))
        if not lists or f.size < MIN_WORDS:
            return np.empty(0, dtype=np.int64)
        rows = np.sort(np.concatenate(lists))
        distinct = np.empty(rows.size, dtype=bool)
        distinct[0] = True
        np.not_equal(rows[1:], rows[:-1], out=distinct[1:])
        starts = np.flatnonzero(distinct)
        # Entities shared: the rare ones, counted, and at most the common ones whose bit
        # the row has (a bit says it may name the entity), so an upper bound of the
        # Jaccard, compared as _joins does (shared / union >= agreement).
        shared = np.diff(starts, append=rows.size)
        rows = rows[starts]
        bits = self._entity_bits[rows]
        for bit in common:
            shared += (bits >> np.uint64(bit)).astype(np.int64) & 1
        named = self._named_count[rows]
        np.minimum(shared, named, out=shared)
        at = self._at[rows]
        possible = ((shared >= ENTITY_AGREEMENT * (len(f.entities) + named - shared))
                    & self._usable[rows] & (np.abs(at - f.at) <= self.window))
        rows, shared, at = rows[possible], shared[possible], at[possible]
        if rows.size > ENTITY_SAMPLE:
            rows = rows[np.lexsort((-at, -shared))[:ENTITY_SAMPLE]]
        return rows

    def _sharing_bands(self, f: Features) -> np.ndarray:
        """Rows sharing a band with `f`: at most BAND_SAMPLE of each band, the most recently
        added ones. A row appears once per band it is taken for. Rows beyond the window
        are not filtered out here."""
        return self._band_members(f.signature[None], np.array([True]))[1]

    def _candidates(self, f: Features) -> np.ndarray:
        """Rows within the window of `f` that may be in its story: sharing a band (a
        sample of each, see BAND_SAMPLE), or naming its rare entities (see _naming). All
        have enough words to compare text: every rule of _joins needs some similarity."""
        if f.size < MIN_WORDS or not self._slot:
            return np.empty(0, dtype=np.int64)
        _, rows = self._band_pairs(f.signature[None], np.array([f.at]), np.array([True]))
        rows = np.sort(np.concatenate([rows, self._naming(f)]))
        first = np.ones(rows.size, dtype=bool)
        first[1:] = rows[1:] != rows[:-1]
        return rows[first]

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

    def _decisions(self, f: Features, rows: np.ndarray, text: np.ndarray) -> list[Decision]:
        """The stories of the scored candidate rows that `f` may join, best first. The
        band candidates come scored; the entity candidates are scored here."""
        named = self._naming(f)
        if named.size:
            rows = np.concatenate([rows, named])
            text = np.concatenate([text, _equal_share(self._sigs[named],
                                                      _stored(f.signature))])
            rows, first = np.unique(rows, return_index=True)
            text = text[first]
        # Every rule needs some text similarity: only those rows are looked at in Python.
        keep = text >= min(TEXT_WITH_ENTITIES, TEXT_ALONE)
        rows, text = self._best_per_story(rows[keep], text[keep])
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
        decided = sorted(best.values(), key=lambda d: -(d.text + 0.5 * d.entities))
        if decided or self._cross is None or not f.cross.linkable():
            return decided
        # No story of its own language: one in another language, on what they share.
        return [Decision(story, 0.0, 0.0, linked)
                for story, linked in self._cross.link(f.cross, f.at)]

    def _scored_pairs(self, sigs: np.ndarray, ats: np.ndarray, usable: np.ndarray,
                      rows: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The band candidates of a batch with some text similarity: (article, row, text),
        by article."""
        article, row = self._band_members(sigs, usable, rows)
        near = usable[article] & (np.abs(self._at[row] - ats[article]) <= self.window)
        article, row = article[near], row[near]
        text = self._scores(sigs, article, row)
        keep = text >= min(TEXT_WITH_ENTITIES, TEXT_ALONE)
        # A row sharing several bands comes once per band: once is enough (and by article,
        # then row, as decide() orders them). Scored first, as few are kept.
        article, row, text = article[keep], row[keep], text[keep]
        first = self._distinct(article, row)
        return article[first], row[first], text[first]

    def decide(self, f: Features) -> list[Decision]:
        """Stories this article may join, best first (one entry per story)."""
        if f.size < MIN_WORDS or not self._slot:
            return []
        _, rows, text = self._scored_pairs(f.signature[None], np.array([f.at]),
                                           np.array([True]))
        return self._decisions(f, rows, text)

    def add_batch(self, article_ids: Sequence[int], batch: Sequence[Features],
                  choose: Callable[[int, list[Decision]], int]) -> list[int]:
        """Decide and add articles in order, as `decide` then `add` one by one would:
        `choose(i, decisions)` is given the stories article i may join (best first; the
        batch's earlier articles are candidates) and returns its story. Returns the
        stories chosen."""
        if not batch:
            return []
        rows = self._reserve(article_ids, batch)
        sigs = np.array([f.signature for f in batch], dtype=np.uint32)
        ats = np.array([f.at for f in batch])
        usable = self._usable[rows]
        article, row, text = self._scored_pairs(sigs, ats, usable, rows)
        bounds = np.searchsorted(article, np.arange(len(batch) + 1))
        stories = []
        for i, f in enumerate(batch):
            lo, hi = bounds[i], bounds[i + 1]
            decided = self._decisions(f, row[lo:hi], text[lo:hi]) if usable[i] else []
            story = choose(i, decided)
            stories.append(story)
            self._assign(int(rows[i]), story, f)  # before the next article is decided
        self._added(rows, article_ids, sigs, ats)
        return stories

    def _assign(self, row: int, story_id: int, f: Features) -> None:
        """A reserved row's story; its names become entity candidates."""
        self._story[row] = story_id
        self._max_story = max(self._max_story, story_id)
        if self._cross is not None:
            self._cross.note(int(self._article[row]), story_id, f.at, f.cross)
        for name in f.entities:
            self._named.setdefault(name, set()).add(row)

    def _added(self, rows: np.ndarray, article_ids: Sequence[int], sigs: np.ndarray,
               ats: np.ndarray) -> None:
        """Reserved and assigned rows join the tail (those with enough words), and time
        moves on: evicting as one-by-one adds would."""
        usable = self._usable[rows]
        self._to_tail(rows[usable], sigs[usable])
        self.last_article_id = max(self.last_article_id, *article_ids)
        for at in ats.tolist():
            if at > self.newest:
                self.newest = at
                self._evict_before(at - self.window)

    def _reserve(self, article_ids: Sequence[int], batch: Sequence[Features]) -> np.ndarray:
        """Rows for a batch, filled in but not yet found by lookups (_assign and _added
        make them candidates)."""
        for article_id in article_ids:
            self.remove(article_id)  # stored again: the newest now
        while len(self._free) < len(batch):
            self._grow()
        rows = np.array([self._free.pop() for _ in batch], dtype=np.intp)
        for article_id, row, f in zip(article_ids, rows.tolist(), batch, strict=True):
            self._slot[article_id], self._article[row] = row, article_id
            self._entities[row] = self._interned(f.entities)
            self._named_count[row] = len(f.entities)
            self._entity_bits[row] = _entity_bits(f.entities)
        self._sigs[rows] = _stored(np.array([f.signature for f in batch], dtype=np.uint32))
        self._at[rows] = [f.at for f in batch]
        self._usable[rows] = [f.size >= MIN_WORDS for f in batch]
        self._story[rows] = -1
        return rows
