"""Linked pages that are not articles (`skipped_pages`): recorded with the reason. A `final`
one (the listing, a home page, a page of headlines) is not fetched again; a stub or a
near-empty page is looked at again when its link is seen again, up to MAX_SKIP_CHECKS
times in all (it may have been a page its CMS had not filled yet). Mixed into `Store`; it
uses its connection. To have a page fetched again, delete its row
(`sqlite-utils monitor.db "DELETE FROM skipped_pages WHERE url = '...'"`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlite_utils import Database

from ..clock import now_iso

MAX_SKIP_CHECKS = 3


class SkippedPagesMixin:
    db: Database

    def record_skipped(self, url: str, source: str, reason: str, *, final: bool = True) -> None:
        stamp = now_iso()
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO skipped_pages (url, source, reason, first_seen, last_seen, times, "
                "final) VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT(url) DO UPDATE SET "
                "reason = excluded.reason, last_seen = excluded.last_seen, "
                "times = times + 1, final = excluded.final",
                [url, source, reason, stamp, stamp, int(final)])
            # Not an article is an answer: it is not retried as a failed fetch either.
            self.db.execute("DELETE FROM article_failures WHERE url = ?", [url])

    def skipped_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of `urls` are not articles, and not to be looked at again."""
        wanted = list(dict.fromkeys(urls))
        found: set[str] = set()
        for i in range(0, len(wanted), 400):  # stay under SQLite's parameter limit
            chunk = wanted[i:i + 400]
            marks = ",".join("?" * len(chunk))
            found.update(row[0] for row in self.db.execute(
                f"SELECT url FROM skipped_pages WHERE url IN ({marks}) "
                "AND (final OR times >= ?)", [*chunk, MAX_SKIP_CHECKS]))
        return found
