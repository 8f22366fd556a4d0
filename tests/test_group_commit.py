"""Group commit: polls finishing together share a transaction, and still fail alone."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import monitor.store.group as group
from monitor.models import Hit
from monitor.store import Store
from monitor.store.group import GROUP_WAIT, GroupCommit
from tests.test_store import make_article


class CountingStore(Store):
    """A Store that records the size of each add_articles transaction."""

    def __init__(self, path: Path):
        super().__init__(path)
        self.transactions: list[int] = []

    def add_articles(self, articles: list[Any], *args: Any, **kwargs: Any) -> list[int | None]:
        self.transactions.append(len(articles))
        return super().add_articles(articles, *args, **kwargs)


def batch(poll: int, size: int = 3) -> list[Any]:
    return [make_article(f"https://x.example/{poll}/{i}") for i in range(size)]


def urls(store: Store) -> set[str]:
    return {r["url"] for r in store.db.query("SELECT url FROM articles")}


def test_polls_arriving_together_share_one_transaction(tmp_path: Path) -> None:
    with CountingStore(tmp_path / "g.db") as store:
        writer = GroupCommit(store, ["slack"])

        async def main() -> list[list[int | None]]:
            polls = [batch(p) for p in range(4)]
            return await asyncio.gather(*(writer.add(b, [None] * len(b)) for b in polls))

        results = asyncio.run(main())
        assert store.transactions == [12]
        # Each poll gets its own articles' ids, in order.
        for poll, ids in enumerate(results):
            assert len(ids) == 3
            for i, article_id in enumerate(ids):
                row = store.db.execute("SELECT url FROM articles WHERE id = ?",
                                       [article_id]).fetchone()
                assert row[0] == f"https://x.example/{poll}/{i}"
        assert store.db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 12


def test_a_bad_batch_fails_only_its_own_poll(tmp_path: Path) -> None:
    with CountingStore(tmp_path / "g.db") as store:
        writer = GroupCommit(store, [])
        bad = batch(1)
        # A hit of an unknown kind is refused by the schema's CHECK trigger.
        bad[2].hits = [Hit("X", "weather", "X", 0, 1, "X")]

        async def main() -> list[Any]:
            polls = [batch(0), bad, batch(2)]
            return await asyncio.gather(*(writer.add(b, [None] * len(b)) for b in polls),
                                        return_exceptions=True)

        first, second, third = asyncio.run(main())
        assert isinstance(second, sqlite3.IntegrityError)
        assert len(first) == len(third) == 3 and None not in first + third
        # The shared transaction was undone, then each batch was written on its own.
        assert store.transactions == [9, 3, 3, 3]
        assert urls(store) == {f"https://x.example/{p}/{i}" for p in (0, 2) for i in range(3)}
        assert store.db.execute("SELECT count(*) FROM hits h LEFT JOIN articles a "
                                "ON a.id = h.article_id WHERE a.id IS NULL").fetchone()[0] == 0


def test_groups_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group, "MAX_GROUP_ARTICLES", 5)
    with CountingStore(tmp_path / "g.db") as store:
        writer = GroupCommit(store, [])

        async def main() -> list[list[int | None]]:
            polls = [batch(p, size=2) for p in range(5)] + [batch(9, size=7)]
            return await asyncio.gather(*(writer.add(b, [None] * len(b)) for b in polls))

        results = asyncio.run(main())
        # 2+2 (a third would pass 5), 2+2, then 2 alone (the 7 would pass 5), the 7 alone.
        assert store.transactions == [4, 4, 2, 7]
        assert [len(r) for r in results] == [2, 2, 2, 2, 2, 7]
        assert len(urls(store)) == 17


def test_a_cancelled_poll_is_not_written(tmp_path: Path) -> None:
    with CountingStore(tmp_path / "g.db") as store:
        writer = GroupCommit(store, [])

        async def main() -> list[int | None]:
            doomed = asyncio.ensure_future(writer.add(batch(0), [None] * 3))
            kept = asyncio.ensure_future(writer.add(batch(1), [None] * 3))
            await asyncio.sleep(0)  # both queued; the write is due on the next turn
            doomed.cancel()
            return await kept

        assert len(asyncio.run(main())) == 3
        assert urls(store) == {f"https://x.example/1/{i}" for i in range(3)}


def test_a_repeated_url_across_polls_of_one_group_is_stored_once(tmp_path: Path) -> None:
    with Store(tmp_path / "g.db") as store:
        writer = GroupCommit(store, [])

        async def main() -> list[list[int | None]]:
            same = [make_article("https://x.example/shared")]
            return await asyncio.gather(writer.add(same, [None]), writer.add(same, [None]))

        first, second = asyncio.run(main())
        assert first[0] is not None and second == [None]


def test_a_poll_finishing_soon_after_shares_the_transaction(tmp_path: Path) -> None:
    # A batch waits GROUP_WAIT for others: one finishing 10 ms later shares its commit,
    # one finishing well after the wait gets its own.
    with CountingStore(tmp_path / "g.db") as store:
        writer = GroupCommit(store, ["slack"])

        async def later(poll: int, delay: float) -> list[int | None]:
            await asyncio.sleep(delay)
            return await writer.add(batch(poll), [None] * 3)

        async def main() -> None:
            await asyncio.gather(later(0, 0), later(1, 0.01), later(2, GROUP_WAIT * 4))

        asyncio.run(main())
        assert store.transactions == [6, 3]
        assert len(urls(store)) == 9
