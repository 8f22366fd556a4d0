"""Story clustering: one event across outlets is one story; different events stay apart."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from monitor.models import Hit
from monitor.store import Store
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
