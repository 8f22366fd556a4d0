"""Read-side queries behind the analyst commands (search, stories, show, hits, export) and
the few writes of a watchlist backtest. Mixed into `Store`; they use its connection."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlite_utils import Database

from ..clock import now_iso
from ..models import Hit

# Columns of `hit_details` that exports and grouped listings return.
HIT_COLUMNS = ("hit_id", "entity", "kind", "field", "matched_text", "snippet", "how", "via",
               "article_id", "title", "url", "source", "published", "fetched", "language",
               "story_id", "story_title")


def _where(filters: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """AND together the (condition, value) pairs whose value is given."""
    used = [(sql, value) for sql, value in filters if value is not None]
    clause = " AND ".join(sql for sql, _ in used) or "1 = 1"
    return clause, [value for _, value in used]


class Page(list[dict[str, Any]]):
    """Rows cut at a limit, knowing how many there were in all (`total`), so a command can
    say "showing 100 of 2,345" instead of cutting silently."""

    total: int = 0


class QueryMixin:
    db: Database

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, list(params)))

    def _page(self, sql: str, params: Iterable[Any], limit: int) -> Page:
        """`sql` (no LIMIT) cut at `limit`; counted in full only when the cut took rows."""
        params = list(params)
        page = Page(self.db.query(f"{sql} LIMIT ?", [*params, limit]))
        page.total = len(page) if len(page) < limit else self.db.execute(
            f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
        return page

    # ------------------------------------------------------------ articles

    def find_article(self, ref: str) -> dict[str, Any] | None:
        """An article by id, url or canonical url."""
        if ref.isdigit():
            rows = self._rows("SELECT * FROM articles WHERE id = ?", [int(ref)])
        else:
            rows = self._rows("SELECT * FROM articles WHERE url = ? UNION ALL "
                              "SELECT * FROM articles WHERE canonical_url = ? LIMIT 1",
                              [ref, ref])
        return rows[0] if rows else None

    # ------------------------------------------------------------ full-text search

    def search(self, match: str, *, since: str | None = None, source: str | None = None,
               limit: int = 20, published_since: str | None = None) -> Page:
        """Articles matching an FTS5 query over the normalised title and body, best first.

        `match` must already be normalised (see monitor.search.fts_query)."""
        where, params = _where([("a.fetched >= ?", since),
                                ("coalesce(a.published, a.fetched) >= ?", published_since),
                                ("a.source = ? COLLATE NOCASE", source)])
        if since:
            # FTS5 ranks every row that matches before a time filter drops any (a frequent
            # word: tens of thousands ranked for a day's few). Every article fetched since
            # `since` has an id at or above the smallest of theirs, and a rowid bound is one
            # FTS5 applies while it reads its doclists. (INDEXED BY: SQLite's min()
            # shortcut would walk every article in id order until one is recent enough.)
            first = self.db.execute("SELECT min(id) FROM articles INDEXED BY "
                                    "idx_articles_fetched WHERE fetched >= ?",
                                    [since]).fetchone()[0]
            where += " AND articles_search.rowid >= ?"
            params.append(first if first is not None else 1 << 62)  # none: nothing matches
        return self._page(
            "SELECT a.id, a.source, a.published, a.fetched, a.title, a.url, a.story_id, "
            "a.body, articles_search.rank AS rank "
            "FROM articles_search JOIN articles a ON a.id = articles_search.rowid "
            f"WHERE articles_search MATCH ? AND {where} ORDER BY articles_search.rank",
            [match, *params], limit)

    def reindex_search(self, article_ids: Iterable[int] | None = None) -> int:
        """Rebuild normalised search rows (all, or some articles), e.g. after the
        normaliser changed or a body was rewritten outside the Store. Returns the count."""
        from ..match.normalize import normalize_text

        ids = None if article_ids is None else list(article_ids)
        sql = "SELECT id, title, body FROM articles"
        rows = self.db.execute(sql).fetchall() if ids is None else [
            r for i in ids for r in self.db.execute(f"{sql} WHERE id = ?", [i]).fetchall()]
        with self.db.atomic():
            if ids is None:
                self.db.execute("DELETE FROM articles_search")
            else:
                self.db.conn.executemany("DELETE FROM articles_search WHERE rowid = ?",
                                         [(i,) for i in ids])
            self.db.conn.executemany(
                "INSERT INTO articles_search (rowid, title, body) VALUES (?, ?, ?)",
                [(i, normalize_text(t or "").text, normalize_text(b or "").text)
                 for i, t, b in rows])
        return len(rows)

    # ------------------------------------------------------------ hits

    def hit_rows(self, *, since: str | None = None, entity: str | None = None,
                 kind: str | None = None, source: str | None = None,
                 limit: int | None = None) -> list[dict[str, Any]]:
        """Hits with their article (the `hit_details` view), newest first."""
        where, params = _where([("fetched >= ?", since),
                                ("entity = ?", entity),  # (commands resolve the name)
                                ("kind = ?", kind), ("source = ? COLLATE NOCASE", source)])
        tail = " LIMIT ?" if limit else ""
        return self._rows(
            f"SELECT {', '.join(HIT_COLUMNS)} FROM hit_details WHERE {where} "
            f"ORDER BY fetched DESC, article_id DESC, hit_id{tail}",
            [*params, *([limit] if limit else [])])

    def iter_hit_rows(self, since: str | None = None, published_since: str | None = None
                      ) -> Iterator[dict[str, Any]]:
        """Every hit of articles fetched since `since` (and published since
        `published_since`), oldest first, streamed (for exports)."""
        where, params = _where([("fetched >= ?", since),
                                ("coalesce(published, fetched) >= ?", published_since)])
        yield from self.db.query(
            f"SELECT {', '.join(HIT_COLUMNS)} FROM hit_details WHERE {where} "
            "ORDER BY fetched, article_id, hit_id", params)

    def hits_grouped(self, by: str, *, since: str | None = None, entity: str | None = None,
                     kind: str | None = None, source: str | None = None,
                     limit: int = 100, published_since: str | None = None
                     ) -> Page:
        """Hit counts per entity, or per story, with first and last time and outlets."""
        where, params = _where([("a.fetched >= ?", since),
                                ("coalesce(a.published, a.fetched) >= ?", published_since),
                                ("h.entity = ?", entity),  # (commands resolve the name)
                                ("h.kind = ?", kind), ("a.source = ? COLLATE NOCASE", source)])
        key = {"entity": "h.entity, h.kind", "story": "a.story_id"}[by]
        # Start from the side the filters narrow. A time window without an entity selects
        # few articles, whose hits are found by article_id; without statistics SQLite would
        # scan every hit in GROUP BY order instead (204 ms at a million hits for a day's
        # counts). An entity selects its hits through the (entity, kind, article_id) index.
        joined = ("articles a CROSS JOIN hits h ON h.article_id = a.id"
                  if since and not entity else "hits h JOIN articles a ON a.id = h.article_id")
        extra = ("h.entity, h.kind" if by == "entity" else
                 "a.story_id, s.title AS story_title, "
                 "group_concat(DISTINCT h.entity) AS entities")
        return self._page(
            f"SELECT {extra}, count(*) AS hits, count(DISTINCT h.article_id) AS articles, "
            "count(DISTINCT a.source) AS outlets, min(a.fetched) AS first, "
            "max(a.fetched) AS last "
            f"FROM {joined} LEFT JOIN stories s ON s.id = a.story_id "
            f"WHERE {where} GROUP BY {key} ORDER BY hits DESC, last DESC", params, limit)

    # ------------------------------------------------------------ stories

    def story_list(self, *, since: str | None = None, entity: str | None = None,
                   min_sources: int = 1, limit: int = 50, published_since: str | None = None
                   ) -> Page:
        """Stories with a report fetched since `since` (and one published since
        `published_since`), latest first; with `entity`, those with a hit on it."""
        where, params = _where([
            ("s.id IN (SELECT story_id FROM articles WHERE fetched >= ?)", since),
            ("s.id IN (SELECT story_id FROM articles WHERE coalesce(published, fetched) >= ?)",
             published_since),
            ("coalesce(s.source_count, 1) >= ?", min_sources if min_sources > 1 else None),
            ("s.id IN (SELECT a.story_id FROM hits h JOIN articles a ON a.id = h.article_id "
             "WHERE h.entity = ?)", entity)])
        return self._page(
            "SELECT s.id, s.title, s.first_seen, s.last_seen, s.article_count, s.sources, "
            f"s.source_count, s.languages FROM stories s WHERE {where} "
            "ORDER BY s.last_seen DESC, s.id DESC", params, limit)

    def story_articles(self, story_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
        """The articles of each story, earliest report first."""
        ids = list(story_ids)
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for start in range(0, len(ids), 400):
            chunk = ids[start:start + 400]
            for row in self.db.query(
                    "SELECT id, story_id, source, language, title, url, published, fetched "
                    "FROM articles "
                    f"WHERE story_id IN ({','.join('?' * len(chunk))}) "
                    "ORDER BY coalesce(published, fetched), id", chunk):
                out[row["story_id"]].append(row)
        return out

    def story(self, story_id: int) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM stories WHERE id = ?", [story_id])
        if rows and rows[0].get("sources"):
            rows[0]["sources"] = json.loads(rows[0]["sources"])
        return rows[0] if rows else None

    # ------------------------------------------------------------ backtest (rematch)

    def articles_for_rematch(self, since: str | None) -> Iterator[dict[str, Any]]:
        where, params = _where([("fetched >= ?", since)])
        yield from self.db.query(
            f"SELECT id, title, body, story_id FROM articles WHERE {where} ORDER BY id", params)

    def replace_hits(self, article_id: int, remove: Iterable[int], add: Iterable[Hit]) -> None:
        """Delete some hits of an article and insert others (caller holds the transaction)."""
        self.db.conn.executemany("DELETE FROM hits WHERE id = ? AND article_id = ?",
                                 [(i, article_id) for i in remove])
        self.db.conn.executemany(
            'INSERT OR IGNORE INTO hits (article_id, entity, kind, field, matched_text, snippet, '
            'start, "end", how, via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [(article_id, h.entity, h.kind, h.field, h.matched_text, h.snippet, h.start, h.end,
              h.how, h.via) for h in add])

    def queue_deliveries(self, article_id: int, story_id: int | None,
                         channels: Iterable[str]) -> int:
        """Queue an alert for an article on each channel (not twice); returns how many."""
        cursor = self.db.conn.executemany(
            "INSERT OR IGNORE INTO deliveries (channel, article_id, story_id, status, "
            "attempts, created) VALUES (?, ?, ?, 'pending', 0, ?)",
            [(channel, article_id, story_id, now_iso()) for channel in channels])
        return max(cursor.rowcount, 0)
