"""`monitor sources` for people: fits 80 columns, human headers, relative times, plain
text when piped; json/csv keep exact values (issue 17)."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from monitor.cli import _print_sources, cli
from monitor.clock import iso, now
from monitor.screen import relative_time
from monitor.store import Store

ERROR = "HTTP 403 (blocked? Cloudflare/anti-bot challenge page)"
LONG = "Alsumaria News (Arabic) — politics listing"


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.db"
    moment = now()
    with Store(path) as store:
        store.db["sources"].insert_all([
            {"name": "Shafaq News (EN)", "url": "https://shafaq.example/rss", "kind": "rss",
             "last_checked": iso(moment - timedelta(minutes=3)),
             "last_success": iso(moment - timedelta(minutes=3)), "consecutive_failures": 0},
            {"name": LONG, "url": "https://alsumaria.example/politics", "kind": "html",
             "last_checked": iso(moment - timedelta(minutes=12)),
             "last_success": iso(moment - timedelta(days=2)), "consecutive_failures": 7,
             "last_error": ERROR, "next_poll": iso(moment + timedelta(minutes=40))},
            {"name": "Rudaw", "url": "https://rudaw.example/rss", "kind": "rss"}])
    return path


def rows(db: Path) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["sources", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_fits_80_columns_on_a_terminal(db: Path) -> None:
    out = io.StringIO()
    _print_sources(rows(db), Console(file=out, width=80, force_terminal=True,
                                     color_system=None))
    text = out.getvalue()
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), text
    assert len(lines) == 2 + 3  # header, rule, one line per source: no wrapped cells
    assert re.match(r"Source\s+Status\s+Checked\s+Last error", lines[0]), lines[0]
    assert "last_checked" not in text and "consecutive_failures" not in text
    assert not re.search(r"\d{4}-\d\d-\d\dT", text)  # no ISO timestamps on screen
    assert "3 min ago" in text and "12 min ago" in text
    assert "failing ×7" in text and "never checked" in text
    alsumaria = next(line for line in lines if line.startswith("Alsumaria"))
    assert "…" in alsumaria and "HTTP 403" in alsumaria  # cut, not folded


def test_a_wide_terminal_shows_more_columns(db: Path) -> None:
    out = io.StringIO()
    _print_sources(rows(db), Console(file=out, width=200, force_terminal=True,
                                     color_system=None))
    text = out.getvalue()
    assert "Last OK" in text and "Articles" in text and "2 d ago" in text
    assert LONG in text and ERROR in text


def test_piped_output_is_plain_aligned_text(db: Path) -> None:
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, ["sources", "--db", str(db)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 4 and not any(ch in result.stdout for ch in "┃│─━")
    header = lines[0]
    for title in ("Source", "Kind", "Status", "Checked", "Last OK", "Next poll", "Last error"):
        assert title in header
    at = header.index("Status")
    assert [line[at:].split("  ")[0] for line in lines[1:]] == ["failing ×7", "never checked",
                                                                 "ok"]  # by name
    assert any(LONG in line and ERROR in line for line in lines)  # nothing cut
    assert re.search(r"in (39|40) min", result.stdout)  # a second may pass meanwhile


def test_json_and_csv_keep_exact_times(db: Path) -> None:
    data = {r["name"]: r for r in rows(db)}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00",
                        str(data["Shafaq News (EN)"]["last_checked"]))
    csv_out = CliRunner().invoke(cli, ["sources", "--db", str(db), "--format", "csv"]).stdout
    assert csv_out.startswith("name,kind,status,last_checked") and "+00:00" in csv_out


@pytest.mark.parametrize(("delta", "said"), [
    (timedelta(seconds=20), "just now"), (timedelta(minutes=3), "3 min ago"),
    (timedelta(hours=5, minutes=59), "5 h ago"), (timedelta(days=2), "2 d ago"),
    (timedelta(days=15), "2 w ago"), (-timedelta(minutes=40), "in 40 min")])
def test_relative_time(delta: timedelta, said: str) -> None:
    moment = now()
    assert relative_time(iso(moment - delta), moment) == said
    assert relative_time(None, moment) == "-"
