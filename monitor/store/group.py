"""Group commit: the article batches of polls that finish together share one transaction.

A commit and FTS5's flush of its pending terms cost the same for 50 articles as for 500, so
when many polls complete at once (a daemon's first cycle, a burst of busy feeds) writing
them in one transaction saves about a quarter of the store's time, and story clustering
decides a bigger batch in one pass. A batch waits at most GROUP_WAIT (alerts are minutes
apart; 50 ms is nothing to them) for others to join it, and not at all once a whole group
is waiting.

Each poll still gets all or nothing: if the shared transaction fails, every poll's batch is
written again in its own transaction, so one bad batch fails only its own poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from ..models import Article
from ..stories.features import Features
from .store import Store

__all__ = ["GroupCommit"]

# Bounds how long one transaction holds the event loop (~0.3 ms per article).
MAX_GROUP_ARTICLES = 500
GROUP_WAIT = 0.05  # seconds a batch waits for others to share its transaction


@dataclass
class _Batch:
    articles: list[Article]
    features: list[Features | None]
    done: asyncio.Future[list[int | None]]


class GroupCommit:
    """`await add(...)`: `Store.add_articles`, shared with the batches that arrive with it."""

    def __init__(self, store: Store, channels: Sequence[str]):
        self.store = store
        self.channels = list(channels)
        self._waiting: list[_Batch] = []
        self._scheduled: asyncio.TimerHandle | asyncio.Handle | None = None

    async def add(self, articles: list[Article], features: Sequence[Features | None]
                  ) -> list[int | None]:
        """Store the articles of one poll (in one transaction, maybe with other polls');
        returns each one's new id, or None where its url was stored already."""
        if not articles:
            return []
        loop = asyncio.get_running_loop()
        batch = _Batch(articles, list(features), loop.create_future())
        self._waiting.append(batch)
        if sum(len(b.articles) for b in self._waiting) >= MAX_GROUP_ARTICLES:
            if self._scheduled is not None:
                self._scheduled.cancel()
            self._scheduled = loop.call_soon(self._write)  # a whole group: no waiting
        elif self._scheduled is None:
            self._scheduled = loop.call_later(GROUP_WAIT, self._write)
        return await batch.done

    def _write(self) -> None:
        group, size = [], 0
        while self._waiting and (not group or size + len(self._waiting[0].articles)
                                 <= MAX_GROUP_ARTICLES):
            batch = self._waiting.pop(0)
            group.append(batch)
            size += len(batch.articles)
        # The rest (a whole group's worth arrived meanwhile): next turn.
        self._scheduled = asyncio.get_running_loop().call_soon(self._write) \
            if self._waiting else None
        live = [b for b in group if not b.done.cancelled()]
        if len(live) > 1 and self._write_together(live):
            return
        for batch in live:
            self._write_alone(batch)

    def _write_together(self, group: list[_Batch]) -> bool:
        articles = [a for b in group for a in b.articles]
        features = [f for b in group for f in b.features]
        try:
            ids = self.store.add_articles(articles, self.channels, features)
        except Exception:  # rolled back: each batch is retried on its own
            return False
        start = 0
        for batch in group:
            batch.done.set_result(ids[start:start + len(batch.articles)])
            start += len(batch.articles)
        return True

    def _write_alone(self, batch: _Batch) -> None:
        try:
            batch.done.set_result(self.store.add_articles(batch.articles, self.channels,
                                                          batch.features))
        except Exception as exc:  # the poll that awaits it gets the error
            batch.done.set_exception(exc)
