"""`monitor sources import/export`: OPML in and out, validated, written only with --write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.commands.opml import export_opml, parse_opml
from monitor.config import load_config

ROOT = Path(__file__).resolve().parents[1]

OPML = """<?xml version="1.0"?>
<opml version="1.0"><head><title>My feeds</title></head><body>
<outline text="Iraq">
  <outline type="rss" text="Rudaw English" xmlUrl="https://www.rudaw.net/english/rss"
           language="en"/>
  <outline type="rss" text="Shafaq again" xmlUrl="https://shafaq.com/rss/en/"/>
  <outline type="rss" title="الغد برس" text="x" xmlUrl="https://www.alghadpress.com/rss"/>
  <outline type="rss" text="Rudaw twice" xmlUrl="https://www.rudaw.net/english/rss"/>
  <outline text="a folder without a feed"/>
</outline></body></opml>"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    shutil.copy(ROOT / "config.yaml", path)
    return path


def _import(config: Path, tmp_path: Path, text: str, *extra: str):
    opml = tmp_path / "subs.opml"
    opml.write_text(text, encoding="utf-8")
    return CliRunner().invoke(cli, ["sources", "import", "-c", str(config), str(opml), *extra])


def test_parse_finds_feeds_in_folders_with_their_names() -> None:
    feeds = parse_opml(OPML.encode(), "subs.opml")
    assert [(f.name, f.language) for f in feeds] == [
        ("Rudaw English", "en"), ("Shafaq again", None), ("الغد برس", None),
        ("Rudaw twice", None)]


def test_import_shows_a_diff_and_writes_nothing_without_write(config: Path,
                                                              tmp_path: Path) -> None:
    before = config.read_text(encoding="utf-8")
    result = _import(config, tmp_path, OPML)
    assert result.exit_code == 0, result.output
    assert "+  - name: Rudaw English" in result.output
    assert "+  - name: الغد برس" in result.output
    assert "skipped https://shafaq.com/rss/en/: already watched as 'Shafaq News EN'" \
        in result.output
    assert ("skipped https://www.rudaw.net/english/rss: already watched as 'Rudaw English' "
            "(earlier in the file)") in result.output
    assert "dry run: 2 sources would be added" in result.output
    assert config.read_text(encoding="utf-8") == before


def test_import_with_write_keeps_comments_and_loads(config: Path, tmp_path: Path) -> None:
    before = config.read_text(encoding="utf-8")
    result = _import(config, tmp_path, OPML, "--write")
    assert result.exit_code == 0, result.output
    after = config.read_text(encoding="utf-8")
    assert after.startswith(before.split("watchlists:")[0].rstrip())  # comments kept
    assert after.count("\n# ") == before.count("\n# ")
    loaded = load_config(config, env={})
    names = [s.name for s in loaded.sources]
    assert names[-2:] == ["Rudaw English", "الغد برس"]
    assert loaded.sources[-2].language == "en" and loaded.sources[-2].kind == "rss"
    assert len(loaded.watchlist) == len(load_config(ROOT / "config.yaml", env={}).watchlist)
    again = _import(config, tmp_path, OPML, "--write")  # idempotent: nothing new
    assert again.exit_code == 0 and "nothing to import" in again.output


def test_import_of_an_invalid_feed_is_refused_whole(config: Path, tmp_path: Path) -> None:
    before = config.read_text(encoding="utf-8")
    bad = OPML.replace("https://www.alghadpress.com/rss", "ftp://example.com/rss")
    result = _import(config, tmp_path, bad, "--write")
    assert result.exit_code == 2
    assert "url" in result.output and "ftp://example.com/rss" in result.output
    assert config.read_text(encoding="utf-8") == before


@pytest.mark.parametrize(("text", "message"), [
    ("<opml><body><outline", "not valid XML"),
    ("<rss><channel/></rss>", "not OPML"),
    ('<!DOCTYPE x [<!ENTITY a "aaaa">]><opml><body/></opml>', "DOCTYPE"),
])
def test_bad_files_give_one_line(config: Path, tmp_path: Path, text: str,
                                 message: str) -> None:
    result = _import(config, tmp_path, text)
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_export_round_trips_feeds(config: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sources", "export", "-c", str(config)])
    assert result.exit_code == 0, result.output
    sources = load_config(config, env={}).sources
    feeds = parse_opml(result.output.encode(), "export")
    assert [(f.name, f.url, f.language) for f in feeds] == [
        (s.name, s.url, s.language) for s in sources if s.kind == "rss"]
    assert result.output.count("<outline") == len(sources)  # listing pages as links too
    assert export_opml([]).startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_sources_without_subcommand_still_shows_health(config: Path) -> None:
    result = CliRunner().invoke(cli, ["sources", "-c", str(config)])
    assert result.exit_code == 1 and "no database" in result.output
