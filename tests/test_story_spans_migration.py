"""m013_story_spans on a database of the previous release: stories gain the languages they
span (back-filled from their articles), signatures their cross-language features (from
their articles and hits), and a new Arabic report then joins an old English story."""

from __future__ import annotations

import json
from pathlib import Path

from sqlite_utils import Database

from monitor.store import Store
from monitor.store.migrations import migrations
from monitor.stories.assign import article_features
from tests.story_fixtures import article


def _old_database(path: Path) -> None:
    old = Database(path)
    migrations.apply(old, stop_before="m013_story_spans")
    stored = [article("maysan_shafaq"), article("maysan_newregion")]
    old["stories"].insert({"id": 1, "title": stored[0].title, "first_seen": stored[0].fetched,
                           "last_seen": stored[1].fetched, "article_count": 2,
                           "sources": json.dumps([a.source for a in stored]),
                           "source_count": 2})
    old["stories"].insert({"id": 2, "title": "no language recorded", "article_count": 1})
    for n, a in enumerate(stored, start=1):
        old["articles"].insert({"id": n, "url": a.url, "source": a.source, "title": a.title,
                                "body": a.body, "fetched": a.fetched, "published": a.published,
                                "language": "EN" if n == 1 else "en", "story_id": 1})
        old["hits"].insert_all({"article_id": n, "entity": h.entity, "kind": h.kind,
                                "field": h.field, "matched_text": h.matched_text,
                                "snippet": h.snippet, "start": h.start, "end": h.end,
                                "how": h.how} for h in a.hits)
        f = article_features(a)
        old["story_signatures"].insert({"article_id": n, "story_id": 1, "at": f.at,
                                        "signature": f.signature.tobytes(),
                                        "entities": json.dumps(sorted(f.entities)),
                                        "size": f.size})
    old["articles"].insert({"id": 3, "url": "https://x.example/3", "source": "X",
                            "body": "", "fetched": stored[0].fetched, "story_id": 2})
    old.close()


def test_old_stories_get_languages_and_signatures_cross_features(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _old_database(path)
    with Store(path) as store:
        stories = {r["id"]: r for r in store.query("SELECT * FROM stories")}
        assert json.loads(stories[1]["languages"]) == ["en"]  # case folded, once
        assert stories[1]["language_count"] == 1
        assert json.loads(stories[2]["languages"]) == [] and stories[2]["language_count"] == 0
        cross = json.loads(store.query("SELECT cross_features FROM story_signatures WHERE "
                                       "article_id = 1")[0]["cross_features"])
        assert {k: sorted(v) if isinstance(v, list) else v for k, v in cross.items()} == {
            "language": "en", "actors": ["Hussein al-Alaq"], "places": ["Amarah", "Maysan"],
            "incidents": [], "numbers": []}
        # After the upgrade, an Arabic report of the event joins the old English story.
        new = store.add_article(article("ar_alsumaria"), [])
        (row,) = store.query("SELECT story_id FROM articles WHERE id = ?", [new])
        assert row["story_id"] == 1
        (story,) = store.query("SELECT languages, sources FROM stories WHERE id = 1")
        assert json.loads(story["languages"]) == ["en", "ar"]
        assert json.loads(story["sources"])[-1] == "Alsumaria"
