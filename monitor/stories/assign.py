"""Story assignment inside the Store's insert transaction.

`assign` decides a whole batch before its article rows are written (the rows need their
story ids, and the Store gives the ids the rows will get): the index decides each article
in turn, as if the batch's earlier articles were stored already, and the story rows are
written with one statement per kind. `rows` gives each article's normalised search row and
signature row, which the Store writes in the same transaction. So a rolled-back batch
leaves no story, signature or search row behind; the Store then `forget`s the batch's
articles, and a story id still named by the index that no longer exists is noticed (it is
not in the table) and forgotten.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from ..clock import iso
from ..models import Article
from .crosslang import CrossFeatures
from .features import Features, features
from .index import Decision, StoryIndex

if TYPE_CHECKING:  # the worker processes import this module: not sqlite_utils (~6 MB each)
    from sqlite_utils import Database


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
                    article.source, article.language)


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
            "SELECT article_id, story_id, at, signature, entities, size, cross_features "
            "FROM story_signatures WHERE article_id > ? AND at >= ? ORDER BY article_id",
            [self.index.last_article_id, since])
        while chunk := rows.fetchmany(4096):
            self.index.add_known(
                [row[0] for row in chunk], [row[1] for row in chunk],
                [Features(at=at, source="", title_norm="", body_norm="",
                          signature=np.frombuffer(blob, dtype=np.uint32),
                          entities=frozenset(json.loads(entities or "[]")), size=size or 0,
                          cross=CrossFeatures.from_json(json.loads(cross or "null")))
                 for _, _, at, blob, entities, size, cross in chunk])

    # ------------------------------------------------------------ per batch

    def assign(self, articles: Sequence[Article], article_ids: Sequence[int],
               batch: Sequence[Features]) -> list[Assignment]:
        """The story of each article, in order: an existing one of the window, one started
        by an earlier article of the batch, or a new one. Writes the stories' rows (in
        the caller's transaction, before the articles' rows that name them) and adds the
        articles to the index; `article_ids` are the ids their rows are about to get."""
        self._catch_up()
        first_new = (self.db.execute("SELECT max(id) FROM stories").fetchone()[0] or 0) + 1
        # Index rows naming these numbers are left from a rolled-back transaction.
        self.index.forget_stories_from(first_new)
        stories = _Stories(self.db, first_new)
        chosen = self.index.add_batch(
            article_ids, batch, lambda i, decisions: stories.choose(articles[i], batch[i],
                                                                     decisions))
        stories.write()
        for story_id in stories.missing:  # named by the index, rolled back: forget them
            self.index.drop_story(story_id)
        return [Assignment(story_id, f) for story_id, f in zip(chosen, batch, strict=True)]

    def forget(self, article_ids: Iterable[int]) -> None:
        """Take a batch out of the index again (its transaction rolled back)."""
        for article_id in article_ids:
            self.index.remove(article_id)

    @staticmethod
    def rows(article_id: int, assignment: Assignment
             ) -> tuple[tuple[object, ...], tuple[object, ...]]:
        """An article's articles_search and story_signatures rows."""
        story_id, f = assignment
        signature, entities, cross = f.stored_columns()
        return ((article_id, f.title_norm, f.body_norm),
                (article_id, story_id, f.at, signature, entities, f.size, cross))


@dataclass
class _Reports:
    """A story's reports in this batch: what its row gains."""

    first_seen: str
    last_seen: str
    sources: list[str]
    languages: list[str]
    count: int = 0

    def add(self, stamp: str, f: Features) -> None:
        self.first_seen, self.last_seen = min(self.first_seen, stamp), max(self.last_seen, stamp)
        self.count += 1
        if f.source not in self.sources:
            self.sources.append(f.source)
        if f.cross.language and f.cross.language not in self.languages:
            self.languages.append(f.cross.language)


class _Stories:
    """The stories a batch starts or joins, written with one statement per kind."""

    def __init__(self, db: Database, first_new: int):
        self.db = db
        self.first_new = self.next_id = first_new
        self.new: dict[int, tuple[str | None, str, _Reports]] = {}  # id -> title, key, reports
        self.joined: dict[int, _Reports] = {}  # existing stories
        self.missing: list[int] = []  # named by the index, not in the database
        # Existing story -> its outlets and languages (None: not in the database).
        self._spans: dict[int, tuple[list[str], list[str]] | None] = {}

    def choose(self, article: Article, f: Features, decisions: list[Decision]) -> int:
        """The first story of `decisions` that exists, else a new one."""
        stamp = _stamp(f.at)
        for decision in decisions:
            story_id = decision.story_id
            if story_id in self.new:
                self.new[story_id][2].add(stamp, f)
                return story_id
            if self.exists(story_id):
                self.joined.setdefault(story_id, _Reports(stamp, stamp, [], [])).add(stamp, f)
                return story_id
        story_id, self.next_id = self.next_id, self.next_id + 1
        self.new[story_id] = (article.title, f.title_norm, _Reports(stamp, stamp, [], []))
        self.new[story_id][2].add(stamp, f)
        return story_id

    def exists(self, story_id: int) -> bool:
        """Whether an indexed story is in the database; its outlets and languages are read
        with it, for `write`."""
        if story_id not in self._spans:
            row = self.db.execute("SELECT sources, languages FROM stories WHERE id = ?",
                                  [story_id]).fetchone() if story_id < self.first_new else None
            self._spans[story_id] = None if row is None else (json.loads(row[0] or "[]"),
                                                              json.loads(row[1] or "[]"))
            if row is None:
                self.missing.append(story_id)
        return self._spans[story_id] is not None

    def write(self) -> None:
        self.db.conn.executemany(
            "INSERT INTO stories (id, title, title_key, first_seen, last_seen, article_count, "
            "sources, source_count, languages, language_count) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(story_id, title, key, r.first_seen, r.last_seen, r.count, _json(r.sources),
              len(r.sources), _json(r.languages), len(r.languages))
             for story_id, (title, key, r) in self.new.items()])
        updates = []
        for story_id, r in self.joined.items():
            sources, languages = (list(known) for known in self._spans[story_id] or ([], []))
            sources += [s for s in r.sources if s not in sources]
            languages += [lang for lang in r.languages if lang not in languages]
            updates.append((r.first_seen, r.last_seen, r.count, _json(sources), len(sources),
                            _json(languages), len(languages), story_id))
        self.db.conn.executemany(
            "UPDATE stories SET first_seen = min(first_seen, ?), last_seen = max(last_seen, ?), "
            "article_count = article_count + ?, sources = ?, source_count = ?, languages = ?, "
            "language_count = ? WHERE id = ?", updates)


def _json(sources: list[str]) -> str:
    return json.dumps(sources, ensure_ascii=False)
