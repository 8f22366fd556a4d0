"""Log lines cannot be split or forged by what outlets and config put in them (issue 16,
item 10 log half): control characters in messages and arguments are escaped."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from monitor import logs


def emit(fmt: str, msg: str, *args: object, exc: bool = False) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.SourceFilter())
    handler.setFormatter(logs.formatter(fmt))
    logger = logging.getLogger("monitor.test.escaping")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        if exc:
            try:
                raise ValueError("boom")
            except ValueError:
                logger.exception(msg, *args)
        else:
            logger.warning(msg, *args)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.mark.parametrize(("name", "shown"), [
    ("Evil\nsource", "Evil\\nsource"),
    ("CR\rsource", "CR\\rsource"),
    ("colour\x1b[31mred", "colour\\x1b[31mred"),
    ("nel\x85line", "nel\\x85line"),
    ("ls\u2028sep", "ls\\u2028sep"),
    ("nul\x00byte", "nul\\x00byte"),
])
def test_control_characters_in_arguments_are_escaped(name: str, shown: str) -> None:
    out = emit("text", "%s: 3 new articles", name)
    assert out.count("\n") == 1 and out.endswith("\n")
    assert f"{shown}: 3 new articles" in out


def test_control_characters_in_the_message_itself_are_escaped() -> None:
    out = emit("text", "forged\n2026-01-01 00:00:00 ERROR monitor: fake line")
    assert out.count("\n") == 1
    assert "forged\\n2026-01-01" in out


def test_arabic_and_tabs_are_kept_readable() -> None:
    out = emit("text", "%s\tok", "شفق نيوز")
    assert "شفق نيوز\\tok" in out  # a tab is escaped too: log parsers split on it


def test_the_source_stamp_is_escaped_in_text_and_json() -> None:
    token = logs.current_source.set("Bad\nname")
    try:
        text = emit("text", "polled")
        data = json.loads(emit("json", "polled"))
    finally:
        logs.current_source.reset(token)
    assert text.count("\n") == 1
    assert data["source"] == "Bad\nname"  # JSON escapes it itself, and keeps the value


def test_json_lines_stay_one_line() -> None:
    out = emit("json", "%s: polled", "Evil\nsource\x1b[2J")
    assert out.count("\n") == 1
    assert json.loads(out)["message"] == "Evil\nsource\x1b[2J: polled"


def test_a_traceback_keeps_its_lines_but_the_message_is_one() -> None:
    out = emit("text", "%s: unexpected error", "Evil\nsource", exc=True)
    first, *rest = out.splitlines()
    assert first.endswith("Evil\\nsource: unexpected error")
    assert rest[0].startswith("Traceback") and rest[-1] == "ValueError: boom"


def test_once_summary_lines_are_escaped(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli
    from tests.fixture_server import FixtureServer

    with FixtureServer() as site:
        site.add("/rss", "<h1>Internal error</h1>", status=500)
        config = tmp_path / "config.yaml"
        config.write_text(f"""
database: monitor.db
fetch: {{timeout: 5s, allow_private_addresses: true, delay: 0s, retries: 0}}
sources:
  - {{name: "Evil\\nFAKE: 99 new articles", kind: rss, url: "{site.url('/rss')}"}}
watchlists:
  actors: [{{name: Qais al-Khazali}}]
""", encoding="utf-8")
        result = CliRunner().invoke(cli, ["once", "-c", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Evil\\nFAKE: 99 new articles: FAILED: HTTP 500")
    assert not any(line.startswith("FAKE") for line in lines)
