"""Linked pages that are not articles (`skipped_pages`): recorded with the reason, and not
fetched again. Mixed into `Store`; it uses its connection. To have one fetched again,
delete its row (`sqlite-utils monitor.db "DELETE FROM skipped_pages WHERE url = '...'"`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from ..clock import now_iso


class SkippedPagesMixin:
    db: Database

    def record_skipped(self, url: str, source: str, reason: str) -> None:
        stamp = now_iso()
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO skipped_pages (url, source, reason, first_seen, last_seen, times) "
                "VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT(url) DO UPDATE SET "
                "reason = excluded.reason, last_seen = excluded.last_seen, times = times + 1",
                [url, source, reason, stamp, stamp])
            # Not an article is an answer: it is not retried as a failed fetch either.
            self.db.execute("DELETE FROM article_failures WHERE url = ?", [url])

    def skipped_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of `urls` were found not to be articles."""
        wanted = list(dict.fromkeys(urls))
        found: set[str] = set()
        for i in range(0, len(wanted), 400):  # stay under SQLite's parameter limit
            chunk = wanted[i:i + 400]
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self.db.execute(
                f"SELECT url FROM skipped_pages WHERE url IN ({marks})", chunk))
        return found
