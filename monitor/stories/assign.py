"""Story assignment inside the Store's insert transaction.

`assign` runs before the article row is written (the row needs its story id); `remember`
runs right after, with the new article id: it adds the article to the in-memory index and
returns its normalised search row and signature row, which the Store writes in the same
transaction. So a rolled-back batch leaves no story, signature or search row behind; the
in-memory index may then name a story that does not exist, which `assign` notices (its
UPDATE touches no row) and forgets.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
from sqlite_utils import Database

from ..clock import iso
from ..models import Article
from .features import Features, features
from .index import StoryIndex


def article_time(article: Article) -> float:
    """When the event was reported: published, unless missing, unreadable or later than
    fetched (a wrong timezone); else fetched. Epoch seconds."""
    fetched = datetime.fromisoformat(article.fetched).timestamp()
    try:
        published = datetime.fromisoformat(article.published).timestamp() \
            if article.published else fetched
    except ValueError:
        published = fetched
    return min(published, fetched)


def article_features(article: Article) -> Features:
    """What clustering compares (normalised words, MinHash, entities): computed where the
    article is matched, in a worker process, so the store's transaction only decides."""
    return features(article.title, article.body, article.hits, article_time(article),
                    article.source)


def _stamp(at: float) -> str:
    return iso(datetime.fromtimestamp(at, UTC))


class Assignment(NamedTuple):
    story_id: int
    features: Features


class StoryAssigner:
    def __init__(self, db: Database, window: float):
        self.db = db
        self.index = StoryIndex(window)
        self._loaded = False

    # ------------------------------------------------------------ index upkeep

    def _catch_up(self) -> None:
        """Load signatures written since the index last looked (at start-up: the window;
        later: rows another connection added)."""
        since = -1e18
        if not self._loaded:
            newest = self.db.execute("SELECT max(at) FROM story_signatures").fetchone()[0]
            since = (newest or 0.0) - self.index.window
            self._loaded = True
        rows = self.db.execute(
            "SELECT article_id, story_id, at, signature, entities, size FROM story_signatures "
            "WHERE article_id > ? AND at >= ? ORDER BY article_id",
            [self.index.last_article_id, since])
        for article_id, story_id, at, blob, entities, size in rows:
            f = Features(at=at, source="", title_norm="", body_norm="",
                         signature=np.frombuffer(blob, dtype=np.uint32),
                         entities=frozenset(json.loads(entities or "[]")), size=size or 0)
            self.index.add(article_id, story_id, f)

    # ------------------------------------------------------------ per article

    def assign(self, article: Article, f: Features | None = None) -> Assignment:
        """The story `article` belongs to: an existing one of the window, or a new one.
        `f`: its features, if already computed (`article_features`)."""
        self._catch_up()
        f = f or article_features(article)
        story_id = None
        for decision in self.index.decide(f):
            if self._join(decision.story_id, f):
                story_id = decision.story_id
                break
            self.index.drop_story(decision.story_id)  # rolled back earlier: forget it
        if story_id is None:
            story_id = self._start(article, f)
        return Assignment(story_id, f)

    def _join(self, story_id: int, f: Features) -> bool:
        row = self.db.execute("SELECT sources FROM stories WHERE id = ?", [story_id]).fetchone()
        if row is None:
            return False
        sources = json.loads(row[0] or "[]")
        if f.source not in sources:
            sources.append(f.source)
        stamp = _stamp(f.at)
        self.db.execute(
            "UPDATE stories SET first_seen = min(first_seen, ?), last_seen = max(last_seen, ?), "
            "article_count = article_count + 1, sources = ?, source_count = ? WHERE id = ?",
            [stamp, stamp, json.dumps(sources, ensure_ascii=False), len(sources), story_id])
        return True

    def _start(self, article: Article, f: Features) -> int:
        stamp = _stamp(f.at)
        story_id = int(self.db.execute(
            "INSERT INTO stories (title, title_key, first_seen, last_seen, article_count, "
            "sources, source_count) VALUES (?, ?, ?, ?, 1, ?, 1)",
            [article.title, f.title_norm, stamp, stamp,
             json.dumps([article.source], ensure_ascii=False)]).lastrowid)
        # SQLite reuses the id of a rolled-back story: index rows still naming it are stale.
        self.index.drop_story(story_id)
        return story_id

    def remember(self, article_id: int, assignment: Assignment
                 ) -> tuple[tuple[object, ...], tuple[object, ...]]:
        """After the article row is written: the article joins the index at once (the next
        article of the batch may join its story); returns its articles_search and
        story_signatures rows, for the caller to write in the same transaction."""
        story_id, f = assignment
        self.index.add(article_id, story_id, f)
        return ((article_id, f.title_norm, f.body_norm),
                (article_id, story_id, f.at, f.signature.tobytes(),
                 json.dumps(sorted(f.entities), ensure_ascii=False), f.size))
