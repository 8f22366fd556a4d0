"""The README is part of the interface: its commands and queries must stay true."""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from monitor.clock import iso, now, now_iso
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
    from monitor.config import load_config

    db = Store(tmp_path_factory.mktemp("readme") / "monitor.db")
    db.sync_watchlist(load_config(ROOT / "config.yaml", env={}).watchlist)
    body = "Muqtada al-Sadr and Qais al-Khazali spoke about Maysan."
    db.add_article(Article(
        url="https://x.example/1", source="Shafaq News (EN)", title="Sadr and Khazali",
        body=body, fetched=now_iso(), published=now_iso(), hits=[
            Hit("Muqtada al-Sadr", "actor", "Muqtada al-Sadr", 0, 15, "**Muqtada al-Sadr**"),
            Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 20, 35, "**Qais al-Khazali**"),
            Hit("Maysan", "place", "Maysan", 48, 54, "**Maysan**")]), ["slack"])
    # The same event from a second outlet, reported an hour earlier: one story, two outlets.
    earlier = iso(now() - timedelta(hours=1))
    second = "Qais al-Khazali and Muqtada al-Sadr talked about Maysan on Monday."
    db.add_article(Article(
        url="https://y.example/2", source="The New Region", title="Khazali meets Sadr",
        body=second, fetched=now_iso(), published=earlier, hits=[
            Hit("Qais al-Khazali", "actor", "Qais al-Khazali", 0, 15, "**Qais al-Khazali**"),
            Hit("Muqtada al-Sadr", "actor", "Muqtada al-Sadr", 20, 35, "**Muqtada al-Sadr**"),
            Hit("Maysan", "place", "Maysan", 53, 59, "**Maysan**")]), [])
    db.record_source("Broken", "https://b.example", "rss", Poll(error="HTTP 500"))
    (delivery,) = db.due_deliveries("slack", now_iso())
    db.mark_failed_attempt(delivery["id"], "slack: HTTP 403", permanent=True)
    return db


def test_readme_has_the_documented_queries() -> None:
    assert len(SQL_BLOCKS) == 8


@pytest.mark.parametrize("index", range(8))
def test_readme_query_runs_and_finds_the_fixture(store: Store, index: int) -> None:
    rows = store.query(SQL_BLOCKS[index])
    assert rows, f"README query {index} returned nothing:\n{SQL_BLOCKS[index]}"
    expected = [
        lambda r: {x["entity"] for x in r} == {"Muqtada al-Sadr", "Qais al-Khazali", "Maysan"},
        lambda r: r[0]["title"] == "Sadr and Khazali",
        lambda r: "⟦Maysan⟧" in r[0]["excerpt"],
        lambda r: r[0]["name"] == "Broken" and r[0]["last_error"] == "HTTP 500",
        lambda r: r[0]["last_error"] == "slack: HTTP 403",
        lambda r: {x["source"] for x in r} == {"Shafaq News (EN)", "The New Region"}
        and r[0]["story_id"] == r[1]["story_id"],
        lambda r: [x["source"] for x in r] == ["The New Region", "Shafaq News (EN)"],
        lambda r: len(r) == 2,
    ][index]
    assert expected(rows)


def test_readme_schema_table_lists_every_column(store: Store) -> None:
    for table in ("sources", "articles", "hits", "stories", "deliveries", "article_failures",
                  "notices", "story_signatures", "hit_details", "story_sources"):
        line = next(ln for ln in README.splitlines() if ln.startswith(f"| `{table}` "))
        table_or_view = store.db.view(table) if table in store.db.view_names() else store.db[table]
        for column in table_or_view.columns_dict:
            assert f"`{column}`" in line, f"README schema misses {table}.{column}"


def sqlite_utils_lines() -> list[str]:
    return [line for block in bash_blocks() for line in block.splitlines()
            if line.startswith("sqlite-utils ")]


def test_readme_has_sqlite_utils_examples() -> None:
    assert len(sqlite_utils_lines()) == 6


@pytest.mark.parametrize("index", range(6))
def test_readme_sqlite_utils_example_runs(store: Store, index: int) -> None:
    from click.testing import CliRunner
    from sqlite_utils.cli import cli as sqlite_utils_cli

    line = sqlite_utils_lines()[index]
    args = [str(store.path) if arg == "monitor.db" else arg for arg in shlex.split(line)[1:]]
    result = CliRunner().invoke(sqlite_utils_cli, args)
    assert result.exit_code == 0, f"{line}\n{result.output}"
    assert result.output.strip() and ("Khazali" in result.output or index < 2), line


def match_examples() -> list[tuple[str, list[str], str]]:
    """The README's `echo "..." | monitor match ...` blocks: (stdin, arguments, the output
    the block shows after the command)."""
    examples = []
    for block in bash_blocks():
        command, _, output = block.partition("\n")
        found = re.fullmatch(r'echo "(.*)" \| monitor (match .*)', command)
        if found:
            examples.append((found[1] + "\n", shlex.split(found[2]), output))
    return examples


def test_readme_has_match_examples_with_and_without_explain() -> None:
    assert [("--explain" in args) for _, args, _ in match_examples()] == [False, True]


@pytest.mark.parametrize("index", range(2))
def test_readme_match_example_prints_what_it_shows(index: int) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    text, args, shown = match_examples()[index]
    args = [str(ROOT / arg) if arg == "config.yaml" else arg for arg in args]
    result = CliRunner().invoke(cli, args, input=text)
    assert result.exit_code == 0, result.output
    assert result.output == shown


def test_datasette_metadata_queries_run(store: Store) -> None:
    metadata = yaml.safe_load((ROOT / "datasette.yaml").read_text(encoding="utf-8"))
    database = metadata["databases"]["monitor"]
    assert {"todays_hits_by_entity", "stories_by_several_outlets"} <= set(database["queries"])
    for name in database["tables"]:
        assert store.db[name].exists() or name in store.db.view_names(), name
    params = {"entity": "qais al-khazali", "days": "7"}
    for name, query in database["queries"].items():
        rows = store.query(query["sql"], {k: v for k, v in params.items()
                                          if f":{k}" in query["sql"]})
        assert rows, f"canned query {name} returned nothing"


def test_readme_config_example_is_a_valid_config(tmp_path: Path) -> None:
    from monitor.config import load_config

    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    path = tmp_path / "config.yaml"
    path.write_text(example, encoding="utf-8")
    config = load_config(path, env={})
    assert [s.kind for s in config.sources] == ["rss", "html", "sitemap"]
    assert config.sources[1].article is not None and config.sources[1].timezone
    assert [r.name for r in config.rules] == ["Maysan violence", "Khazali and Sadr together"]
    assert config.status.listen == "127.0.0.1:8321" and config.fetch.delay == 1.0
