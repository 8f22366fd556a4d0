"""`monitor once` says what it is doing while it does it (issue 17): each source's line as
it finishes, a progress bar on a terminal, and a source that timed out says how long it
was waited for in all."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from monitor.pipeline import SourceReport
from monitor.progress import source_progress
from tests.fixture_server import FixtureServer

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Fast</title>
<item><title>Nothing watched here</title><link>{base}/a1</link>
<description>Weather in Basra.</description></item></channel></rss>"""


def test_each_source_is_printed_when_it_finishes_and_a_timeout_says_the_total_wait(
        tmp_path: Path) -> None:
    with FixtureServer() as site:
        site.add("/fast", RSS.format(base=site.base), content_type="application/rss+xml")
        site.add("/hang", b"<rss/>", delay=30)
        config = tmp_path / "config.yaml"
        config.write_text(f"""
database: monitor.db
fetch: {{timeout: 2s, retries: 1, allow_private_addresses: true, delay: 0s}}
sources:
  - {{name: Fast Outlet, kind: rss, url: "{site.url('/fast')}", fetch_articles: false}}
  - {{name: Hanging Outlet, kind: rss, url: "{site.url('/hang')}"}}
watchlists:
  actors: [{{name: Qais al-Khazali}}]
""", encoding="utf-8")
        started = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "monitor", "once", "-c", str(config)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "COLUMNS": "200"})
        assert proc.stdout is not None
        first = proc.stdout.readline()
        first_at = time.monotonic() - started
        rest, errors = proc.communicate(timeout=120)
        done_at = time.monotonic() - started
    assert proc.returncode == 0, errors
    assert first.startswith("Fast Outlet: 1 "), first
    # The fast source was printed while the hanging one was still being waited for.
    assert done_at - first_at > 2, (first_at, done_at)
    hanging = next(line for line in rest.splitlines() if line.startswith("Hanging Outlet"))
    assert "FAILED: timeout after 2 s (waited" in hanging and "s in all)" in hanging
    waited = float(hanging.rsplit("(waited ", 1)[1].split(" ")[0])
    assert waited >= 4  # two attempts of 2 s each, and the pause between them
    assert rest.splitlines()[-1].startswith("cycle done: 2 sources (1 failed)")


def test_on_a_terminal_a_progress_bar_runs_under_the_lines() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    with source_progress(2, console) as done:
        done(SourceReport("Alpha", entries=3, new_articles=2, hits=2))
        done(SourceReport("Beta", error="HTTP 500", waited=None))
    text = out.getvalue()
    assert "Alpha: 3 entries, 2 new articles, 2 hits" in text
    assert "Beta: FAILED: HTTP 500" in text
    assert "polling sources" in text and "2/2" in text
    assert text.index("Alpha:") < text.index("Beta:")


def test_piped_lines_carry_the_failed_articles(capsys) -> None:  # type: ignore[no-untyped-def]
    failed = [("https://x.example/1", "404"), ("https://x.example/2", "timeout after 2 s")]
    report = SourceReport("Gamma", entries=2, failed_articles=failed)
    with source_progress(1, Console(file=io.StringIO())) as done:
        done(report)
    assert capsys.readouterr().out.splitlines() == [
        "Gamma: 2 entries, 0 new articles, 0 hits, 2 articles failed",
        "  article failed: https://x.example/1: 404",
        "  article failed: https://x.example/2: timeout after 2 s"]


def test_disabled_alert_channels_are_named_once_at_the_default_level(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    config = tmp_path / "config.yaml"
    config.write_text("""
database: monitor.db
sources: []
watchlists:
  actors: [{name: Qais al-Khazali}]
alerts:
  - {kind: slack, name: desk, webhook: "${NO_SUCH_WEBHOOK:-}"}
""", encoding="utf-8")
    for level in ([], ["--log-level", "info"]):
        result = CliRunner(env={"NO_SUCH_WEBHOOK": None}).invoke(
            cli, ["once", "-c", str(config), *level])
        assert result.exit_code == 0, result.output
        assert result.output.count("alert channel 'desk' (slack) is disabled") == 1, \
            result.output


@pytest.mark.parametrize(("report", "line"), [
    # A 304 reads the same whatever else happened: only earlier failures were retried.
    (SourceReport("A", not_modified=True), "A: not modified"),
    (SourceReport("A", not_modified=True, failed_articles=[("u", "404")]),
     "A: not modified; retried pages: 1 article failed"),
    (SourceReport("A", not_modified=True, new_articles=2, hits=1,
                  failed_articles=[("u", "404"), ("v", "410")]),
     "A: not modified; retried pages: 2 new articles, 1 hit, 2 articles failed"),
    (SourceReport("A", entries=1, new_articles=1, hits=1, failed_articles=[("u", "404")],
                  off_domain=1),
     "A: 1 entry, 1 new article, 1 hit, 1 article failed, 1 off-domain link skipped"),
    (SourceReport("A", entries=0), "A: 0 entries, 0 new articles, 0 hits"),
    (SourceReport("A", error="timeout after 20 s", waited=25.4),
     "A: FAILED: timeout after 20 s (waited 25 s in all)"),
])
def test_source_lines_read_right(report: SourceReport, line: str) -> None:
    assert report.summary() == line


def test_check_counts_names_in_words(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    config = tmp_path / "config.yaml"
    config.write_text("""
database: monitor.db
sources: []
watchlists:
  actors: [{name: Qais al-Khazali}]
  places: [{name: Maysan, aliases: [Missan]}]
""", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "watchlist actors: 1 (1 name or term)" in result.output
    assert "watchlist places: 1 (2 names or terms)" in result.output
    assert "watchlist keywords: 0 (0 names or terms)" in result.output
