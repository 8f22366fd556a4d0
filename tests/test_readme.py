"""The README is part of the interface: its commands and queries must stay true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.clock import now_iso
from monitor.models import Article, Hit
from monitor.store import Poll, Store

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SQL_BLOCKS = re.findall(r"```sql\n(.*?)```", README, re.S)


def bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, re.S)


def test_readme_starts_with_run_and_test_commands() -> None:
    first, second = bash_blocks()[:2]
    assert "pip install ." in first and first.strip().endswith("monitor once")
    assert second.strip().endswith("pytest")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_command = bash_blocks()[1].strip()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    db = Store(tmp_path_factory.mktemp("readme") / "monitor.db")
    body = "Muqtada al-Sadr and Qais al-Khazali spoke about Maysan."
    db.add_article(Article(
        url="https://x.example/1", source="Shafaq News (EN)", title="Sadr and Khazali",
        body=body, fetched=now_iso(), published=now_iso(), hits=[
            Hit("Muqtada al-Sadr", "actor", "Muqtada al-Sadr", 0, 15, "**Muqtada al-Sadr**"),
            Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 20, 35, "**Qais al-Khazali**"),
            Hit("Maysan", "place", "Maysan", 48, 54, "**Maysan**")]), ["slack"])
    db.record_source("Broken", "https://b.example", "rss", Poll(error="HTTP 500"))
    (delivery,) = db.pending_deliveries(["slack"])
    db.mark_failed_attempt(delivery.id, "slack: HTTP 403", permanent=True)
    return db


def test_readme_has_the_documented_queries() -> None:
    assert len(SQL_BLOCKS) == 5


@pytest.mark.parametrize("index", range(5))
def test_readme_query_runs_and_finds_the_fixture(store: Store, index: int) -> None:
    rows = store.query(SQL_BLOCKS[index])
    assert rows, f"README query {index} returned nothing:\n{SQL_BLOCKS[index]}"
    expected = [
        lambda r: {x["entity"] for x in r} == {"Muqtada al-Sadr", "Qais al-Khazali", "Maysan"},
        lambda r: r[0]["title"] == "Sadr and Khazali",
        lambda r: "[Maysan]" in r[0]["excerpt"],
        lambda r: r[0]["name"] == "Broken" and r[0]["last_error"] == "HTTP 500",
        lambda r: r[0]["last_error"] == "slack: HTTP 403",
    ][index]
    assert expected(rows)


def test_readme_schema_table_lists_every_column(store: Store) -> None:
    for table in ("sources", "articles", "hits", "stories", "deliveries", "article_failures",
                  "notices"):
        line = next(ln for ln in README.splitlines() if ln.startswith(f"| `{table}` |"))
        for column in store.db[table].columns_dict:
            assert f"`{column}`" in line, f"README schema misses {table}.{column}"
