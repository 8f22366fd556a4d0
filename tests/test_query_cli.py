"""The analyst commands: hits, search, stories, show, rematch, export (in-process)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.store import Store
from tests.story_fixtures import REPORTS, article

SINCE = "2026-01-01"
CONFIG = """
database: monitor.db
sources:
  - {name: Shafaq News (EN), kind: rss, url: "https://shafaq.example/rss"}
watchlists:
  actors:
    - name: Hussein al-Alaq
      aliases: [Hussein Al-Allaq, حسين العلاق]
    - name: Muqtada al-Sadr
      aliases: [مقتدى الصدر]
    - name: Sadrist Movement
      aliases: [Sadrist movement, التيار الصدري]
  places:
    - name: Maysan
      aliases: [ميسان]
    - name: Amarah
      aliases: [العمارة]
alerts:
  - kind: slack
    webhook: https://hooks.slack.example/services/x
"""


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    with Store(tmp_path / "monitor.db") as store:
        for key in REPORTS:
            a = article(key)
            if key == "ar_sadr_speech":  # stored before Sadr was watched: places only
                a.hits = [h for h in a.hits if h.kind == "place"]
            store.add_article(a, [])
    return path


def run(config: Path, *args: str) -> Result:
    # Wide enough that rich does not fold the cells the assertions look for.
    result = CliRunner(env={"COLUMNS": "250"}).invoke(cli, [*args, "-c", str(config)],
                                                      catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def dump(config: Path) -> list[str]:
    with Store(config.parent / "monitor.db") as store:
        return list(store.db.conn.iterdump())


def test_every_command_has_an_example_in_its_help() -> None:
    for name in ("hits", "search", "stories", "show", "rematch", "export"):
        text = CliRunner().invoke(cli, [name, "--help"]).output
        assert "Example" in text and f"monitor {name}" in text, name


def test_hits_filters_and_groups(config: Path) -> None:
    rows = json.loads(run(config, "hits", "--since", SINCE, "--kind", "actor",
                          "--source", "The New Region", "--format", "json").stdout)
    assert {(r["entity"], r["source"]) for r in rows} == {("Hussein al-Alaq", "The New Region")}
    grouped = json.loads(run(config, "hits", "--since", SINCE, "--group-by", "entity",
                             "--format", "json").stdout)
    alaq = next(r for r in grouped if r["entity"] == "Hussein al-Alaq")
    assert (alaq["articles"], alaq["outlets"]) == (5, 5)
    stories = json.loads(run(config, "hits", "--since", SINCE, "--entity", "hussein al-alaq",
                             "--group-by", "story", "--format", "json").stdout)
    assert len(stories) == 1  # the English and Arabic reports: one story across languages
    assert "Hussein al-Alaq" in run(config, "hits", "--since", SINCE).output


def test_search_table_shows_marks_without_colour(config: Path) -> None:
    table = run(config, "search", "Allaq").output
    assert "⟦Al-Allaq⟧" in table or "⟦Allaq⟧" in table


def test_search_table_json_csv(config: Path) -> None:
    table = run(config, "search", "أطلقوا النار", "--since", SINCE).output
    assert "alsumaria" in table.lower() or "Alsumaria" in table
    rows = json.loads(run(config, "search", "Allaq", "--format", "json").stdout)
    assert [r["url"] for r in rows] == [REPORTS["maysan_newregion"][1]]
    assert "⟦Al-Allaq⟧" in rows[0]["excerpt"] or "⟦Allaq⟧" in rows[0]["excerpt"]
    reader = csv.DictReader(io.StringIO(run(config, "search", "Amarah", "--source",
                                            "Kurdistan24", "--format", "csv").output))
    assert [r["source"] for r in reader] == ["Kurdistan24"]


def test_search_rejects_an_empty_query(config: Path) -> None:
    result = CliRunner().invoke(cli, ["search", "  '  ", "-c", str(config)])
    assert result.exit_code == 2 and "nothing to search for" in result.output


def test_stories_lists_outlets_and_times(config: Path) -> None:
    rows = json.loads(run(config, "stories", "--since", SINCE, "--entity", "Hussein al-Alaq",
                          "--min-outlets", "3", "--format", "json").stdout)
    assert len(rows) == 1
    assert rows[0]["sources"] == ["Shafaq News (EN)", "The New Region", "Kurdistan24",
                                  "Alsumaria", "Shafaq News (AR)"]
    assert rows[0]["languages"] == ["en", "ar"]
    assert [a["published"][11:16] for a in rows[0]["articles"]] == [
        "18:40", "18:50", "19:30", "19:55", "21:10"]
    table = run(config, "stories", "--since", SINCE).output
    assert "Gunmen assassinate activist" in table and "Kurdistan24" in table
    assert "en ar" in table and "Alsumaria (ar)" in table
    assert "5: Shafaq News (EN), The New Region, Kurdistan24, Alsumaria, Shafaq News (AR)" \
        in table
    flat = list(csv.DictReader(io.StringIO(run(config, "stories", "--since", SINCE,
                                               "--format", "csv").output)))
    assert len(flat) == len(REPORTS)


def test_show_by_id_and_url(config: Path) -> None:
    text = run(config, "show", "4").output  # the fourth report stored: the speech
    assert "Al-Sadr calls on followers" in text and "Muqtada al-Sadr (actor)" in text
    shown = json.loads(run(config, "show", REPORTS["maysan_k24"][1], "--format",
                           "json").stdout)
    assert "[Hussein al-Alaq](Hussein al-Alaq)" in shown["article"]["marked_body"]
    # Piped (no colour), the hits are still marked in the text.
    plain = run(config, "show", REPORTS["maysan_k24"][1]).output
    assert "⟦Hussein al-Alaq⟧" in plain
    assert len(shown["story_articles"]) == 5  # three English reports, two Arabic
    missing = CliRunner().invoke(cli, ["show", "99999", "-c", str(config)])
    assert missing.exit_code == 1 and "no stored article" in missing.output


def test_rematch_dry_run_changes_nothing(config: Path) -> None:
    before = dump(config)
    rows = json.loads(run(config, "rematch", "--since", SINCE, "--format", "json").stdout)
    assert dump(config) == before
    by_entity = {r["entity"]: r for r in rows}
    assert by_entity["Sadrist Movement"]["added_articles"] >= 3  # newly watched
    assert by_entity["Najaf"]["removed_hits"] == 2  # no longer watched
    assert by_entity["Muqtada al-Sadr"]["added_articles"] == 1  # the Arabic speech


def test_rematch_apply_updates_hits_without_alerts(config: Path) -> None:
    run(config, "rematch", "--since", SINCE, "--apply")
    with Store(config.parent / "monitor.db") as store:
        entities = {r["entity"] for r in store.query("SELECT DISTINCT entity FROM hits")}
        assert "Sadrist Movement" in entities and "Najaf" not in entities
        assert store.db["deliveries"].count == 0
    again = json.loads(run(config, "rematch", "--since", SINCE, "--format", "json").stdout)
    assert again == []  # nothing left to change


def test_rematch_alert_queues_newly_alerting_articles_only(config: Path) -> None:
    result = run(config, "rematch", "--since", SINCE, "--apply", "--alert")
    assert "1 alerts queued" in result.output
    with Store(config.parent / "monitor.db") as store:
        (row,) = store.query("SELECT d.channel, a.url FROM deliveries d "
                             "JOIN articles a ON a.id = d.article_id")
        assert row == {"channel": "slack", "url": REPORTS["ar_sadr_speech"][1]}
    bad = CliRunner().invoke(cli, ["rematch", "--alert", "-c", str(config)])
    assert bad.exit_code == 2


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson"])
def test_export(config: Path, fmt: str) -> None:
    out = run(config, "export", "--since", SINCE, "--format", fmt).output
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
    elif fmt == "json":
        rows = json.loads(out)
    else:
        rows = [json.loads(line) for line in out.splitlines()]
    with Store(config.parent / "monitor.db") as store:
        assert len(rows) == store.db["hits"].count
    assert {"entity", "url", "source", "published", "story_id", "snippet"} <= set(rows[0])


def test_stories_fit_an_80_column_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A story is a few lines, not a table row whose reports wrap letter by letter; on a
    terminal every line is cut to its width, piped nothing is."""
    import os
    import shutil

    from monitor.commands.query import _story_blocks

    story = {"id": 7, "title": "Gunmen assassinate activist in Amarah after a night of "
                                "clashes between rival armed factions in Maysan",
             "first_seen": "2026-01-05T18:40:00+00:00", "last_seen": "2026-01-05T21:10:00+00:00",
             "article_count": 2, "languages": ["en", "ar"],
             "sources": ["Shafaq News (EN)", "Alsumaria"],
             "articles": [
                 {"published": "2026-01-05T18:40:00+00:00", "fetched": "x", "language": "en",
                  "source": "Shafaq News (EN)", "title": "Gunmen assassinate activist in "
                                                        "Amarah after a night of clashes"},
                 {"published": "2026-01-05T21:10:00+00:00", "fetched": "x", "language": "ar",
                  "source": "Alsumaria", "title": "اغتيال ناشط في العمارة " * 5}]}
    piped = list(_story_blocks([dict(story)], "2026-01-01T00:00:00+00:00"))
    assert "     2 reports in en ar · 2026-01-05 18:40 → 21:10 UTC" in piped
    assert "     outlets 2: Shafaq News (EN), Alsumaria" in piped
    assert any(line.endswith("in Maysan") for line in piped)  # nothing cut
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    monkeypatch.setattr(shutil, "get_terminal_size", lambda *a: os.terminal_size((80, 24)))
    screen = list(_story_blocks([dict(story)], "2026-01-01T00:00:00+00:00"))
    assert len(screen) == len(piped) and max(map(len, screen)) <= 80
    assert screen[2].endswith("…") and screen[2].startswith("#7  Gunmen assassinate")
