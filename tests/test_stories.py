"""Story clustering: one event across outlets is one story; different events stay apart."""

from __future__ import annotations

import itertools
import json
import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import monitor.stories.index as story_index
import monitor.stories.segment as segment
from monitor.models import Hit
from monitor.store import Store
from monitor.stories import NUM_PERM, Features, StoryIndex
from tests.story_fixtures import article


def story_of(store: Store, article_id: int | None) -> int:
    assert article_id is not None
    return store.query("SELECT story_id FROM articles WHERE id = ?", [article_id])[0]["story_id"]


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "m.db") as db:
        yield db


def test_same_event_two_outlets_different_words_and_spellings(store: Store) -> None:
    a = store.add_article(article("maysan_shafaq"), [])
    b = store.add_article(article("maysan_newregion"), [])  # "Hussein Al-Allaq", other words
    assert story_of(store, a) == story_of(store, b)


def test_different_events_sharing_actors_stay_apart(store: Store) -> None:
    speech = store.add_article(article("sadr_speech"), [])  # Sadrists, Maysan, same day
    killing = store.add_article(article("maysan_shafaq"), [])
    assert story_of(store, speech) != story_of(store, killing)


def test_third_outlet_joins_and_story_keeps_sources_and_times(store: Store) -> None:
    ids = [store.add_article(article(k), []) for k in
           ("maysan_shafaq", "sadr_speech", "maysan_newregion", "maysan_k24")]
    story_id = story_of(store, ids[0])
    assert story_of(store, ids[3]) == story_of(store, ids[2]) == story_id
    (story,) = store.query("SELECT * FROM stories WHERE id = ?", [story_id])
    assert story["title"] == article("maysan_shafaq").title  # the first article's
    assert story["article_count"] == 3 and story["source_count"] == 3
    assert json.loads(story["sources"]) == ["Shafaq News (EN)", "The New Region", "Kurdistan24"]
    assert story["first_seen"] == "2026-01-05T18:40:00+00:00"
    assert story["last_seen"] == "2026-01-05T21:10:00+00:00"
    outlets = store.query("SELECT source FROM story_sources WHERE story_id = ? ORDER BY "
                          "first_published", [story_id])
    assert [r["source"] for r in outlets] == ["Shafaq News (EN)", "The New Region",
                                              "Kurdistan24"]


def test_arabic_same_event_clusters_and_other_event_does_not(store: Store) -> None:
    speech = store.add_article(article("ar_sadr_speech"), [])
    a = store.add_article(article("ar_alsumaria"), [])
    b = store.add_article(article("ar_shafaq"), [])  # العلّاق with shadda, الاثنين without hamza
    assert story_of(store, a) == story_of(store, b) != story_of(store, speech)


def test_window_is_respected(store: Store) -> None:
    a = store.add_article(article("maysan_shafaq"), [])
    late = store.add_article(article("maysan_newregion", "2026-01-09T19:55:00+00:00"), [])
    assert story_of(store, a) != story_of(store, late)  # 4 days later: beyond 72 h


def test_configured_window(store: Store) -> None:
    store.story_window = 3600.0  # one hour: the 75-minute-later report starts a new story
    a = store.add_article(article("maysan_shafaq"), [])
    b = store.add_article(article("maysan_newregion"), [])
    assert story_of(store, a) != story_of(store, b)


def test_index_is_rebuilt_from_the_database(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store(path) as first:
        a = first.add_article(article("maysan_shafaq"), [])
    with Store(path) as second:  # a restart: the window comes back from story_signatures
        b = second.add_article(article("maysan_newregion"), [])
        assert story_of(second, a) == story_of(second, b)


def test_another_connection_s_articles_are_seen(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store(path) as one, Store(path) as two:
        one.add_article(article("sadr_speech"), [])  # builds one's index
        a = two.add_article(article("maysan_shafaq"), [])
        b = one.add_article(article("maysan_newregion"), [])
        assert story_of(one, a) == story_of(one, b)


def test_rolled_back_story_is_forgotten(store: Store) -> None:
    good = article("maysan_shafaq")
    bad = article("maysan_newregion")
    bad.hits = [*bad.hits, Hit("X", "bogus-kind", "X", 0, 1, "")]
    with pytest.raises(sqlite3.IntegrityError):
        store.add_articles([good, bad], [])  # the whole batch, its new story included, is undone
    assert store.db["stories"].count == 0
    a = store.add_article(article("maysan_k24"), [])
    b = store.add_article(article("maysan_shafaq"), [])
    assert story_of(store, a) == story_of(store, b)
    assert store.query("SELECT article_count FROM stories")[0]["article_count"] == 2


def test_headline_only_items_need_more_than_shared_entities(store: Store) -> None:
    one = article("maysan_shafaq")
    two = article("sadr_speech")
    one.body = two.body = ""
    two.hits = one.hits
    a, b = store.add_article(one, []), store.add_article(two, [])
    assert story_of(store, a) != story_of(store, b)


# ---------------------------------------------------------------- the index's band lookup
# StoryIndex finds the articles sharing a band through a sorted main segment, a tail and
# per-row states. These tests run it with a tiny capacity and tail (many merges and
# capacity doublings) against a brute-force reference of what a candidate is.


def _signature(rng: random.Random, bases: np.ndarray, changed: float) -> np.ndarray:
    """One of a few base signatures with a share of its values redrawn: articles of one
    base share some bands, and the most shared bands exceed the (lowered) stop-list."""
    sig = bases[rng.randrange(len(bases))].copy()
    for i in rng.sample(range(NUM_PERM), int(changed * NUM_PERM)):
        sig[i] = rng.getrandbits(32)
    return sig


def _feature(rng: random.Random, bases: np.ndarray, at: float) -> Features:
    return Features(at=at, source="", title_norm="", body_norm="",
                    signature=_signature(rng, bases, rng.choice([0.3, 0.7, 0.95])),
                    entities=frozenset(rng.sample([f"E{i}" for i in range(30)],
                                                  rng.randint(0, 3))),
                    size=rng.choice([3, 10, 10, 10]))  # 3: too short to compare text


def _text(at: float, signature: np.ndarray) -> Features:
    return Features(at=at, source="", title_norm="", body_norm="", signature=signature,
                    entities=frozenset(), size=10)


class _Reference:
    """What the candidates of an article are, by brute force over the live articles."""

    def __init__(self, window: float):
        self.window = window
        self.live: dict[int, tuple[Features, int]] = {}  # article id -> features, story
        self.newest = float("-inf")
        self.evicted_at = float("-inf")

    def add(self, article_id: int, story_id: int, f: Features) -> None:
        self.live.pop(article_id, None)  # stored again: the newest now
        self.live[article_id] = (f, story_id)
        if f.at > self.newest:  # the index's eviction rule: hourly, at the newest time
            self.newest = f.at
            cutoff = f.at - self.window
            if self.evicted_at <= cutoff - 3600:
                self.evicted_at = cutoff
                self.live = {a: v for a, v in self.live.items() if v[0].at >= cutoff}

    def drop_story(self, story_id: int) -> None:
        self.live = {a: v for a, v in self.live.items() if v[1] != story_id}

    def members(self, f: Features) -> list[list[int]]:
        """Each band's members, the live articles with enough words sharing its key, in
        the order added."""
        keys = StoryIndex._band_keys(f.signature)
        found: list[list[int]] = [[] for _ in keys]
        for a, (g, _) in self.live.items():
            if g.size >= story_index.MIN_WORDS:
                for band in np.flatnonzero(StoryIndex._band_keys(g.signature) == keys):
                    found[band].append(a)
        return found

    def candidates(self, f: Features) -> tuple[set[int], set[int], list[list[int]]]:
        """The article ids that may be candidates, those that must be, and each band's
        members in the order added."""
        if f.size < story_index.MIN_WORDS:
            return set(), set(), []  # no text to compare: nothing can join
        members = self.members(f)
        # Of each band, the members added last are taken.
        may = {a for m in members for a in m[-story_index.BAND_SAMPLE:]}
        must = set(may)
        # Rows naming a rare entity; those whose entities agree enough are certain when
        # all of them fit in the sample.
        naming: set[int] = set()
        for name in f.entities:
            named = {a for a, (g, _) in self.live.items() if name in g.entities}
            if len(named) <= story_index.RARE_ENTITY:
                naming |= {a for a in named if self.live[a][0].size >= story_index.MIN_WORDS
                           and abs(self.live[a][0].at - f.at) <= self.window}
        may |= naming
        if len(naming) <= story_index.ENTITY_SAMPLE:
            must |= {a for a in naming if len(f.entities & self.live[a][0].entities)
                     >= story_index.ENTITY_AGREEMENT * len(f.entities | self.live[a][0].entities)}
        near = {a for a in may if abs(self.live[a][0].at - f.at) <= self.window}
        return near, must & near, members


def _candidate_ids(index: StoryIndex, f: Features) -> set[int]:
    rows = index._candidates(f).tolist()
    assert len(rows) == len(set(rows))  # each row once, however many bands it shares
    return {index._article[row] for row in rows}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_band_lookup_matches_brute_force(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(story_index, "BAND_SAMPLE", 4)  # exceeded by some bands
    monkeypatch.setattr(story_index, "RARE_ENTITY", 6)
    monkeypatch.setattr(story_index, "ENTITY_SAMPLE", 2)
    merges = renumbered = 0
    merge, number_space = StoryIndex._merge, StoryIndex._number_space

    def counting_merge(self: StoryIndex) -> None:
        nonlocal merges
        merges += 1
        merge(self)

    def counting_number_space(self: StoryIndex, wanted: int) -> None:
        nonlocal renumbered
        dead = self._dead
        number_space(self, wanted)
        renumbered += dead > 0 and self._dead == 0

    monkeypatch.setattr(StoryIndex, "_merge", counting_merge)
    monkeypatch.setattr(StoryIndex, "_number_space", counting_number_space)
    rng = random.Random(seed)
    bases = np.array([[rng.getrandbits(32) for _ in range(NUM_PERM)] for _ in range(8)],
                     dtype=np.uint32)
    window = 3600.0
    index, reference = StoryIndex(window, capacity=8, tail_rows=16), _Reference(window)
    now, next_id = 0.0, 1
    queries = found = sampled = with_stale = 0
    for _ in range(2500):
        now += rng.uniform(0, 30)  # evictions every ~240 operations
        f = _feature(rng, bases, now - rng.uniform(0, 5000))  # some beyond the window
        op = rng.random()
        if op < 0.55 or not reference.live:
            story = rng.randrange(1, 300)
            index.add(next_id, story, f)
            reference.add(next_id, story, f)
            next_id += 1
        elif op < 0.65:
            gone = rng.choice(list(reference.live))
            index.remove(gone)
            del reference.live[gone]
        elif op < 0.68:
            story = rng.randrange(1, 300)
            index.drop_story(story)
            reference.drop_story(story)
        elif op < 0.70:  # an article stored again: new features, same id
            again, story = rng.choice(list(reference.live)), rng.randrange(1, 300)
            index.add(again, story, f)
            reference.add(again, story, f)
        else:
            with_stale += index._stale > 0
            may, must, members = reference.candidates(f)
            assert must <= _candidate_ids(index, f) <= may
            if members:  # exactly the newest BAND_SAMPLE members of each band
                taken = [index._article[row] for row in index._sharing_bands(f).tolist()]
                assert sorted(taken) == sorted(a for m in members
                                               for a in m[-story_index.BAND_SAMPLE:])
            queries += 1
            found += bool(must)
            sampled += any(len(m) > story_index.BAND_SAMPLE for m in members)
        assert set(index._slot) == set(reference.live)
    # The run went through what can go wrong: merges, doublings, renumbering, stale
    # entries, samples.
    assert merges >= 20 and len(index._sigs) >= 64 and renumbered >= 3
    assert with_stale >= 20 and sampled >= 20 and found >= 200 and queries >= 500


def _score(d: story_index.Decision) -> float:
    return round(d.text + 0.5 * d.entities, 9)


def _pick(decisions: list[story_index.Decision]) -> int | None:
    """The best story, ties broken by id (the index orders ties by row, and a batch may
    give its articles other rows than one-by-one adds)."""
    return max(decisions, key=lambda d: (_score(d), d.story_id)).story_id if decisions \
        else None


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_batch_decides_as_one_by_one_adds_would(seed: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """add_batch against decide-then-add per article: the same decisions (every story
    with its score), so the same stories, through merges, doublings, evictions, removals,
    dropped stories, re-stored articles and batches of every size."""
    monkeypatch.setattr(story_index, "BAND_SAMPLE", 3)  # exceeded, within batches too
    monkeypatch.setattr(story_index, "RARE_ENTITY", 8)
    monkeypatch.setattr(story_index, "ENTITY_SAMPLE", 2)
    rng = random.Random(seed)
    bases = np.array([[rng.getrandbits(32) for _ in range(NUM_PERM)] for _ in range(6)],
                     dtype=np.uint32)
    window = 3600.0
    one, batched = (StoryIndex(window, capacity=8, tail_rows=16) for _ in range(2))
    now, next_article, next_story = 0.0, 1, 1000
    joins = batch_joins = 0
    for _ in range(150):
        if rng.random() < 0.15 and one._slot:  # between batches: removals, drops
            gone = rng.choice(sorted(one._slot))
            one.remove(gone)
            batched.remove(gone)
            story = int(one._story[rng.choice(sorted(one._slot.values()))]) \
                if one._slot else 0
            one.drop_story(story)
            batched.drop_story(story)
        size = rng.choice([1, 2, 5, 12, 30])
        ids = [next_article + i for i in range(size)]
        if rng.random() < 0.1 and one._slot:  # an article stored again
            ids[0] = rng.choice(sorted(one._slot))
        next_article += size
        now += rng.choice([1.0, 30.0, 900.0])  # some steps evict: past the window
        batch = [_feature(rng, bases, now + i) for i in range(size)]
        expected = []
        for article_id, f in zip(ids, batch, strict=True):
            decided = one.decide(f)
            story = _pick(decided)
            if story is None:
                story, next_story = next_story, next_story + 1
            joins += bool(decided)
            expected.append(({(d.story_id, _score(d)) for d in decided}, story))
            one.add(article_id, story, f)
        got = []

        def choose(i: int, decided: list[story_index.Decision],
                   got: list[tuple[set[tuple[int, float]], int | None]] = got,
                   expected: list[tuple[set[tuple[int, float]], int]] = expected) -> int:
            nonlocal batch_joins
            batch_joins += bool(decided)
            story = _pick(decided)
            got.append(({(d.story_id, _score(d)) for d in decided}, story))
            return story if story is not None else expected[i][1]

        assert batched.add_batch(ids, batch, choose) == [s for _, s in expected]
        assert got == [(d, s if d else None) for d, s in expected]
        assert set(batched._slot) == set(one._slot)
    assert joins == batch_joins and joins >= 150 and len(one._sigs) >= 64


def test_removed_article_never_comes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(story_index, "BAND_SAMPLE", 1)  # one article of a band is taken
    rng = random.Random(7)
    bases = np.array([[rng.getrandbits(32) for _ in range(NUM_PERM)]], dtype=np.uint32)
    index = StoryIndex(3600.0, capacity=4, tail_rows=4)
    same = bases[0]
    others = [_signature(rng, bases, 1.0) for _ in range(8)]
    index.add(1, 1, _text(0.0, same))
    for i, sig in enumerate(others[:4], start=2):  # fills the tail: article 1 is merged
        index.add(i, i, _text(float(i), sig))
    assert index._tail_len < 4 and _candidate_ids(index, _text(9.0, same)) == {1}
    row = index._slot[1]
    index.remove(1)
    assert _candidate_ids(index, _text(9.0, same)) == set()  # stale in the main segment
    # The next article takes the freed row, with the same text: the same entries as the
    # removed one's, which must neither come back nor take the sample's place.
    index.add(10, 10, _text(10.0, same))
    assert index._slot[10] == row
    assert _candidate_ids(index, _text(11.0, same)) == {10}
    for i, sig in enumerate(others[4:], start=11):  # merges again
        index.add(i, i, _text(float(i), sig))
    assert index._stale == 0 and index._tail_len < 4
    assert np.unique(index._main).size == index._main.size
    assert _candidate_ids(index, _text(19.0, same)) == {10}
    index.remove(10)
    index._merge()
    assert _candidate_ids(index, _text(20.0, same)) == set()
    numbers = (index._main & story_index._LOW) // story_index.BANDS
    assert row not in index._seq_row[numbers.astype(np.int64)].tolist()


def test_drop_story_removes_exactly_that_story() -> None:
    rng = random.Random(3)
    bases = np.array([[rng.getrandbits(32) for _ in range(NUM_PERM)]], dtype=np.uint32)
    index = StoryIndex(3600.0, capacity=4, tail_rows=4)
    stories = {i: [2, 5, 5, 9][i % 4] for i in range(1, 30)}
    for article_id, story in stories.items():
        index.add(article_id, story, _feature(rng, bases, float(article_id)))
    index.drop_story(12)  # above every story indexed: nothing to do
    index.drop_story(5)
    assert set(index._slot) == {a for a, s in stories.items() if s != 5}
    query = Features(at=30.0, source="", title_norm="", body_norm="", signature=bases[0],
                     entities=frozenset(f"E{i}" for i in range(30)), size=10)
    assert {stories[a] for a in _candidate_ids(index, query)} <= {2, 9}
    index.drop_story(9)
    assert set(index._slot) == {a for a, s in stories.items() if s == 2}


def test_stale_entries_do_not_take_the_sample_s_place(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    monkeypatch.setattr(story_index, "BAND_SAMPLE", 4)
    rng = random.Random(5)
    same = np.array([rng.getrandbits(32) for _ in range(NUM_PERM)], dtype=np.uint32)
    index = StoryIndex(3600.0, capacity=64, tail_rows=64)
    for article_id in range(1, 15):
        index.add(article_id, article_id, _text(float(article_id), same))
    index._merge()
    assert _candidate_ids(index, _text(20.0, same)) == {11, 12, 13, 14}  # the newest four
    for article_id in (11, 12, 13, 14, 2, 3):  # 6 stale entries per band: no merge yet
        index.remove(article_id)
    assert index._stale == 6
    # Each band's range: 14 entries, 8 of them live; the newest 4 live ones are taken.
    assert _candidate_ids(index, _text(20.0, same)) == {7, 8, 9, 10}
    index.add(15, 15, _text(15.0, same))  # in the tail: the newest of all
    assert _candidate_ids(index, _text(20.0, same)) == {15, 8, 9, 10}
    index._merge()
    assert index._stale == 0 and _candidate_ids(index, _text(20.0, same)) == {15, 8, 9, 10}


def _band_with_mixed(band: int, mixed: int) -> np.ndarray:
    """The two values of `band` whose mixed key (before the last shift) is `mixed`."""
    mix, salt = int(story_index._MIX), int(story_index._BAND_SALT[band])
    return np.array([(mixed - salt) * pow(mix, -1, 2**64) % 2**64],
                    dtype=np.uint64).view(np.uint32)


def test_entries_agreeing_only_on_the_sorted_bits_are_not_candidates() -> None:
    """The main segment sorts by the top 32 bits of each band key: an article whose key
    differs only below them is found by the search, and must be rejected."""
    rng = random.Random(6)
    query = np.array([rng.getrandbits(32) for _ in range(NUM_PERM)], dtype=np.uint32)
    # Band 0's value whose mixed key is the query's plus 2: same top bits, other key.
    value = int(query[:2].view(np.uint64)[0])
    mixed = (value * int(story_index._MIX) + int(story_index._BAND_SALT[0])) % 2**64
    other = np.array([rng.getrandbits(32) for _ in range(NUM_PERM)], dtype=np.uint32)
    other[:2] = _band_with_mixed(0, mixed + 2)
    keys, near = StoryIndex._band_keys(query), StoryIndex._band_keys(other)
    assert keys[0] != near[0] and keys[0] >> 31 == near[0] >> 31
    assert not (keys[1:] == near[1:]).any()
    # And one sharing band 0 whose band 1 has the very key of the query's band 0: read
    # with band 0's entries, it must not be taken twice.
    twin = np.array([rng.getrandbits(32) for _ in range(NUM_PERM)], dtype=np.uint32)
    twin[:2], twin[2:4] = query[:2], _band_with_mixed(1, mixed)
    assert StoryIndex._band_keys(twin)[1] == keys[0]
    index = StoryIndex(3600.0, capacity=4, tail_rows=4)
    index.add(1, 1, _text(0.0, other))
    index.add(2, 2, _text(0.0, twin))
    for _ in range(2):  # in the tail (top bits), then in the main segment
        assert _candidate_ids(index, _text(1.0, query)) == {2}
        assert index._sharing_bands(_text(1.0, query)).tolist() == [index._slot[2]]
        assert _candidate_ids(index, _text(1.0, other)) == {1}
        index._merge()


def test_a_big_story_is_found_through_its_newest_reports(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """600 wire copies of one event make each of its bands hold 600 articles: a sample
    of each must still find the story (a stop-list skipping such bands would not)."""
    monkeypatch.setattr(story_index, "BAND_SAMPLE", 4)
    rng = random.Random(11)
    bases = np.array([[rng.getrandbits(32) for _ in range(NUM_PERM)] for _ in range(3)],
                     dtype=np.uint32)
    index = StoryIndex(3600.0, capacity=8, tail_rows=4)  # merged every few articles
    copies = {}
    for article_id in range(1, 13):  # 3 * BAND_SAMPLE near-identical copies ...
        copies[article_id] = _signature(rng, bases[:1], 0.2)
        index.add(article_id, 7, _text(float(article_id), copies[article_id]))
        other = _signature(rng, bases[1:], 0.9)  # ... among unrelated articles
        index.add(100 + article_id, 100 + article_id, _text(float(article_id), other))
    report = _text(20.0, _signature(rng, bases[:1], 0.45))  # another outlet's rewrite
    keys = StoryIndex._band_keys(report.signature)
    shared = sum(int((StoryIndex._band_keys(sig) == keys).sum()) for sig in copies.values())
    taken = index._sharing_bands(report)
    assert 0 < taken.size < shared  # a sample of each band's members
    assert {index._article[row] for row in taken.tolist()} <= set(range(1, 13))
    assert index.decide(report)[0].story_id == 7


def test_a_big_story_joins_in_the_store(store: Store, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.setattr(story_index, "BAND_SAMPLE", 2)
    monkeypatch.setattr(story_index, "RARE_ENTITY", 0)  # found by its text alone
    first = store.add_article(article("maysan_shafaq"), [])
    for i in range(6):  # the wire copy, republished: each of its bands holds 7 articles
        copy = article("maysan_shafaq")
        copy.url, copy.source = f"{copy.url}?copy={i}", f"Outlet {i}"
        assert story_of(store, store.add_article(copy, [])) == story_of(store, first)
    other = store.add_article(article("maysan_newregion"), [])
    assert story_of(store, other) == story_of(store, first)


def test_entity_candidates_are_those_that_may_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Of the rows naming a rare entity, those whose entities cannot agree enough are left
    out (they could join only as near-duplicates, which bands find); the others are
    taken, most shared entities first, at most ENTITY_SAMPLE."""
    monkeypatch.setattr(story_index, "ENTITY_SAMPLE", 40)
    rng = random.Random(12)
    index = StoryIndex(3600.0, capacity=8, tail_rows=4)
    # Names with a bit each: no bound is loosened by colliding bits, so the candidates
    # are known exactly.
    names: list[str] = []
    bits = 0
    for i in itertools.count():
        bit = int(story_index._entity_bits(frozenset([f"N{i}"])))
        if not bits & bit:
            names.append(f"N{i}")
            bits |= bit
        if len(names) == 36:
            break
    a, b, c, x = names[0], names[1], names[2], names[3:]

    def unrelated(at: float, entities: set[str]) -> Features:
        sig = np.array([rng.getrandbits(32) for _ in range(NUM_PERM)], dtype=np.uint32)
        return Features(at=at, source="", title_norm="", body_norm="", signature=sig,
                        entities=frozenset(entities), size=10)

    index.add(1, 1, unrelated(0.0, {a, b}))  # 2/3: agrees
    index.add(2, 2, unrelated(1.0, {a, b, c}))  # agrees fully
    for i in range(3, 33):  # share one name of three: entity Jaccard 1/4 at most
        index.add(i, i, unrelated(float(i), {rng.choice([a, b]), x[i]}))
    index.add(33, 33, unrelated(33.0, {a, b}))
    query = unrelated(40.0, {a, b, c})
    assert _candidate_ids(index, query) == {1, 2, 33}
    monkeypatch.setattr(story_index, "ENTITY_SAMPLE", 2)
    assert _candidate_ids(index, query) == {2, 33}  # the most shared, then the newest


def test_an_article_is_found_whatever_its_row() -> None:
    """Positions in the main segment span the whole capacity (beyond 16 bits here)."""
    rng = random.Random(8)
    index = StoryIndex(3600.0, capacity=16)
    signatures = [np.array([rng.getrandbits(32) for _ in range(NUM_PERM)], dtype=np.uint32)
                  for _ in range(1500)]
    for article_id, sig in enumerate(signatures, start=1):
        index.add(article_id, article_id, _text(float(article_id), sig))
    index._merge()
    assert index._tail_len == 0 and len(index._sigs) * story_index.BANDS > 1 << 16
    for article_id in (1, 700, 1024, 1025, 1500):
        assert _candidate_ids(index, _text(1500.0, signatures[article_id - 1])) == {article_id}


def test_signatures_are_the_ones_stored_by_earlier_versions() -> None:
    # Signatures are persisted in story_signatures: a change in hashing or permutations would
    # make every stored article look unrelated to new ones. These values were computed by
    # datasketch 2.0's MinHash (scheme affine32, seed 8), which signature() replaced.
    from monitor.stories.features import signature
    sig = signature({"sdr", "ktb", "ميسان", "2026", "hsn"})
    assert sig.dtype == np.uint32 and sig.shape == (NUM_PERM,)
    assert sig[:6].tolist() == [636951898, 29387890, 553415225, 1018418777, 1346714213,
                                2000209106]
    assert int(sig.astype(np.int64).sum()) == 91027336361
    assert (signature(set()) == 0xFFFFFFFF).all()


def test_signature_is_a_minhash() -> None:
    from monitor.stories.features import signature
    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(400)]
    a, b = set(rng.sample(vocabulary, 120)), set(rng.sample(vocabulary, 120))
    # The signature of a union is the element-wise minimum (what LSH banding relies on) ...
    assert (signature(a | b) == np.minimum(signature(a), signature(b))).all()
    # ... and the share of equal values estimates the Jaccard similarity.
    shared = set(rng.sample(sorted(a), 90))
    c = shared | set(rng.sample(vocabulary, 30))
    true = len(a & c) / len(a | c)
    assert abs(float((signature(a) == signature(c)).mean()) - true) < 0.15
    assert (signature(a) == signature(set(a))).all()


def test_features_cross_processes_with_their_signature() -> None:
    # Features are pickled from the worker processes to the writer with the signature as
    # bytes; it must come back a writable uint32 array of NUM_PERM, equal to the original.
    import pickle

    from monitor.stories import features
    f = features("Qais al-Khazali in Maysan", "Gunmen killed a commander in Maysan.",
                 [Hit("Maysan", "place", "Maysan", 33, 39, "", field="body")], 1e9, "Shafaq")
    back = pickle.loads(pickle.dumps(f))
    assert back.signature.dtype == np.uint32 and back.signature.shape == (NUM_PERM,)
    assert back.signature.flags.writeable and (back.signature == f.signature).all()
    assert (back.at, back.source, back.title_norm, back.body_norm, back.entities, back.size) \
        == (f.at, f.source, f.title_norm, f.body_norm, f.entities, f.size)
    odd = Features(at=0.0, source="", title_norm="", body_norm="", entities=frozenset(),
                   signature=np.arange(4, dtype=np.int64), size=0)  # pickled as it is
    assert pickle.loads(pickle.dumps(odd)).signature.dtype == np.int64


@pytest.mark.parametrize("seed", range(6))
def test_segment_merges_and_drops_in_place_as_numpy_would(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The main segment's in-place merge and compaction, chunk by chunk (small chunks
    here, so entries move across chunk boundaries), against np.insert and a mask."""
    monkeypatch.setattr(segment, "_CHUNK", 7)
    rng = np.random.default_rng(seed)
    kept = segment.Segment()
    expected = np.empty(0, dtype=np.uint64)
    for _ in range(30):
        values = np.setdiff1d(rng.integers(0, 500, rng.integers(0, 40)).astype(np.uint64),
                              expected)  # entries are distinct
        new = np.sort(rng.permutation(values))
        expected = np.insert(expected, np.searchsorted(expected, new), new)
        kept.merge(new)
        assert np.array_equal(kept.entries, expected)
        if rng.random() < 0.4:
            odd = rng.integers(0, 2)
            expected = expected[expected % 2 != odd]
            kept.keep(lambda chunk, odd=odd: chunk % 2 != odd)
            assert np.array_equal(kept.entries, expected)
        assert np.array_equal(kept.fence, expected[::segment.FENCE])
    kept.rewrite(lambda chunk: chunk.__imul__(np.uint64(2)))
    assert np.array_equal(kept.entries, expected * 2)


def test_grow_keeps_rows_and_fills_the_new_ones_in_place_or_copied() -> None:
    class Owner:
        rows = np.arange(12, dtype=np.int64).reshape(6, 2)

    owner = Owner()
    owner.rows = Owner.rows.copy()
    segment.grow(owner, "rows", 9, fill=-1)  # nothing else holds it: resized
    assert owner.rows.tolist() == [[i, i + 1] for i in range(0, 12, 2)] + [[-1, -1]] * 3
    view = owner.rows[:2]
    segment.grow(owner, "rows", 10)  # a view holds it: copied, the view still valid
    assert owner.rows[:6].tolist() == Owner.rows.tolist() and owner.rows[9].tolist() == [0, 0]
    assert view.tolist() == [[0, 1], [2, 3]]


def test_the_index_s_16_bit_values_estimate_as_the_full_signature_does() -> None:
    """b-bit MinHash: across 20,000 pairs of signatures sharing 0-60% of their values, the
    estimate from the low 16 bits is the full one except where unequal values agree on
    them, at most one value in a pair here, in a handful of pairs."""
    rng = np.random.default_rng(5)
    a = rng.integers(0, 1 << 32, (20_000, NUM_PERM), dtype=np.uint64).astype(np.uint32)
    b = rng.integers(0, 1 << 32, (20_000, NUM_PERM), dtype=np.uint64).astype(np.uint32)
    shared = rng.random((20_000, NUM_PERM)) < rng.random((20_000, 1)) * 0.6
    b[shared] = a[shared]
    full = (a == b).mean(axis=1)
    low = np.array([story_index._equal_share(story_index._stored(x)[None],
                                             story_index._stored(y))[0]
                    for x, y in zip(a, b, strict=True)])
    assert np.all(low >= full) and np.all(low - full <= 1 / NUM_PERM)
    assert 0 < np.count_nonzero(low != full) < 200  # ~20,000 * 128 * (1 - s) / 65,536
