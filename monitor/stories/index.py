"""The stories of the recent window, in memory, for fast "which story is this article in?".

Candidate retrieval is MinHash LSH: the signature is cut into bands of 2 values, and two
articles whose Jaccard similarity is s share at least one of 64 bands with probability
1 - (1 - s^2)^64 (0.77 at s = 0.15, 0.96 at 0.22, 0.15 at an unrelated 0.05). Articles that
share a rarely named entity are added as candidates too. Candidates are then scored exactly
on the whole signature, vectorised. Band keys are one row of an int64 matrix per article
(512 bytes) and are matched against a new article in one vectorised pass: dictionaries of
buckets cost ~10 times the memory, and the index holds every article of the window. The
index is rebuilt from `story_signatures` when a Store first needs it, and holds only the
window (older articles are evicted).
"""

from __future__ import annotations

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
_NO_KEY = -1  # band keys are >= 0: an empty or text-less row never matches

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

    def __init__(self, window: float, capacity: int = 4096):
        self.window = window
        self._sigs = np.zeros((capacity, NUM_PERM), dtype=np.uint32)
        self._at = np.zeros(capacity, dtype=np.float64)
        self._story = np.zeros(capacity, dtype=np.int64)
        self._usable = np.zeros(capacity, dtype=bool)  # enough words to compare text
        self._entities: list[frozenset[str]] = [frozenset()] * capacity
        self._slot: dict[int, int] = {}  # article id -> row
        self._article: dict[int, int] = {}  # row -> article id
        self._free: list[int] = list(range(capacity - 1, -1, -1))
        self._keys = np.full((capacity, BANDS), _NO_KEY, dtype=np.int64)
        self._high = 0  # rows at and above this were never used
        self._named: dict[str, set[int]] = {}  # entity -> rows
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
        self._keys[row] = self._band_keys(f.signature) if self._usable[row] else _NO_KEY
        self._high = max(self._high, row + 1)
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
        self._keys[row] = _NO_KEY
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
        self._sigs = np.concatenate([self._sigs, np.zeros_like(self._sigs)])
        self._keys = np.concatenate([self._keys, np.full_like(self._keys, _NO_KEY)])
        self._at = np.concatenate([self._at, np.zeros_like(self._at)])
        self._story = np.concatenate([self._story, np.zeros_like(self._story)])
        self._usable = np.concatenate([self._usable, np.zeros_like(self._usable)])
        self._entities.extend([frozenset()] * size)
        self._free.extend(range(2 * size - 1, size - 1, -1))

    # ------------------------------------------------------------ querying

    def _candidates(self, f: Features) -> np.ndarray:
        rows: set[int] = set()
        if f.size >= MIN_WORDS and self._high:
            shared = self._keys[:self._high] == self._band_keys(f.signature)
            # Bands shared by too many articles are common words: the LSH stop-list.
            common = np.count_nonzero(shared, axis=0) > MAX_BUCKET
            if common.any():
                shared[:, common] = False
            # 64 booleans per row read as 8 machine words: "any band shared?" at C speed.
            rows.update(np.flatnonzero(shared.view(np.uint64).any(axis=1)).tolist())
        for name in f.entities:
            named = self._named.get(name)
            if named and len(named) <= RARE_ENTITY:
                rows |= named
        if not rows:
            return np.empty(0, dtype=np.int64)
        found = np.fromiter(rows, dtype=np.int64, count=len(rows))
        return found[np.abs(self._at[found] - f.at) <= self.window]

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
        text = (self._sigs[rows] == f.signature).mean(axis=1)
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
