"""Query plans of the analyst queries: they start from the side their filters narrow.

Asserted on EXPLAIN QUERY PLAN, never on timings. A fresh database has no statistics
(sqlite_stat1), which is when SQLite's own choice was worst: the day's per-entity counts
scanned every hit in GROUP BY order (204 ms at a million hits), and `--entity` compared
with COLLATE NOCASE, which the (entity, kind, article_id) index cannot serve."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.clock import now_iso
from monitor.models import Article, Hit
from monitor.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "m.db")
    s.add_article(Article(url="https://x.example/1", source="S", title="t", body="Qais",
                          fetched=now_iso(), hits=[Hit("Qais al-Khazali", "actor", "Qais",
                                                       0, 4, "Qais")]), [])
    yield s
    s.close()


def plan_of(store: Store, run: Callable[[], object]) -> list[str]:
    """The plan of the main statement `run` executes (the one that reads hits)."""
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        run()
    finally:
        store.db.conn.set_trace_callback(None)
    main = next(s for s in statements if " hits h" in s and not s.startswith("SELECT count"))
    rows = store.db.execute(f"EXPLAIN QUERY PLAN {main}").fetchall()
    return [row[3] for row in rows]


def test_a_days_counts_start_from_the_days_articles(store: Store) -> None:
    plan = plan_of(store, lambda: store.hits_grouped("entity", since="2026-01-01"))
    assert plan[0].startswith("SEARCH a USING INDEX idx_articles_fetched (fetched>?)"), plan
    assert plan[1].startswith("SEARCH h USING") and "(article_id=?)" in plan[1], plan
    assert not any(step.startswith("SCAN h") for step in plan), plan


def test_one_entitys_counts_start_from_its_hits(store: Store) -> None:
    plan = plan_of(store, lambda: store.hits_grouped("entity", since="2026-01-01",
                                                     entity="Qais al-Khazali"))
    assert plan[0].startswith("SEARCH h USING COVERING INDEX idx_hits_entity_kind_article_id "
                              "(entity=?"), plan


def test_one_entitys_hits_use_the_entity_index(store: Store) -> None:
    plan = plan_of(store, lambda: store.recent_hits(since="2026-01-01",
                                                    entity="Qais al-Khazali"))
    assert any("idx_hits_entity_kind_article_id (entity=?" in step for step in plan), plan
    assert not any(step.startswith("SCAN h") for step in plan), plan


def test_search_since_bounds_the_rowids_fts5_reads_and_finds_the_same(tmp_path: Path) -> None:
    """A time window becomes a rowid bound FTS5 applies while reading its index (it ranks
    every match before a plain filter drops any), and still finds exactly the articles of
    the window, also when ids do not follow fetch times."""
    from monitor.search import parse

    with Store(tmp_path / "s.db") as store:
        times = ["2026-01-01T10:00:00+00:00", "2026-01-03T10:00:00+00:00",
                 "2026-01-02T10:00:00+00:00", "2026-01-04T10:00:00+00:00"]  # id 3 is older
        for n, fetched in enumerate(times, start=1):
            store.add_article(Article(url=f"https://x.example/{n}", source="S", title=f"t{n}",
                                      body="Maysan clashes", fetched=fetched), [])
        query = parse("Maysan").fts
        statements: list[str] = []
        store.db.conn.set_trace_callback(statements.append)
        found = store.search(query, since="2026-01-02T00:00:00+00:00")
        store.db.conn.set_trace_callback(None)
        assert sorted(r["id"] for r in found) == [2, 3, 4]
        assert any("articles_search.rowid >= 2" in s for s in statements), statements
        assert [r["id"] for r in store.search(query, since="2027-01-01T00:00:00+00:00")] == []
        assert len(store.search(query)) == 4


def test_no_canned_datasette_query_scans_hits_or_articles(store: Store) -> None:
    """Every canned query of datasette.yaml starts from an index: none reads all hits or
    all articles (the day's counts by entity read every hit through the hit_details view,
    147 ms at a million hits; who reported first grouped every article, 498 ms)."""
    import re

    import yaml

    root = Path(__file__).resolve().parents[1]
    metadata = yaml.safe_load((root / "datasette.yaml").read_text(encoding="utf-8"))
    for name, query in metadata["databases"]["monitor"]["queries"].items():
        params = {p: "x" for p in re.findall(r":(\w+)", query["sql"])}
        plan = [row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {query['sql']}",
                                                   params).fetchall()]
        subqueries = {step.split()[1] for step in plan if step.startswith("CO-ROUTINE")}
        for step in plan:
            words = step.split()
            if words[0] != "SCAN" or words[1].startswith("(") or words[1] in subqueries:
                continue  # searches, and scans of a subquery's own few rows
            assert words[1] not in ("h", "hits", "a", "articles"), (name, plan)
            if words[1] in ("s", "stories"):
                assert "idx_stories_last_seen" in step, (name, plan)


def test_search_since_finds_its_first_id_through_the_fetched_index(store: Store) -> None:
    """The window's smallest id comes from the fetched index (the window's few entries),
    not from walking every article in id order until one is recent enough: SQLite's
    min() shortcut chose that, 85 ms of a 115 ms search at 300,000 articles."""
    from monitor.search import parse

    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    store.search(parse("Qais").fts, since="2026-01-01")
    store.db.conn.set_trace_callback(None)
    (first,) = [s for s in statements if s.startswith("SELECT min(id)")]
    plan = [row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {first}").fetchall()]
    assert plan == ["SEARCH articles USING COVERING INDEX idx_articles_fetched (fetched>?)"], plan
