"""Read-only commands: no daemon secrets needed, `--db PATH`, names resolved (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.store import Store
from tests.story_fixtures import DAY, REPORTS, article

SINCE = "2026-01-01"
# The alert secret has no default: the daemon needs it, an analyst's shell does not have it.
CONFIG = """
database: monitor.db
sources:
  - {name: Shafaq News (EN), kind: rss, url: "https://shafaq.example/rss"}
watchlists:
  actors:
    - name: Hussein al-Alaq
      aliases: [Hussein Al-Allaq, حسين العلاق]
  places:
    - name: Maysan
      aliases: [ميسان]
alerts:
  - kind: webhook
    url: https://ops.example/hook
    headers: {Authorization: "Bearer ${OPS_TOKEN}"}
"""
READ_ONLY = [("hits", "--since", SINCE), ("search", "Maysan"), ("stories", "--since", SINCE),
             ("show", "1"), ("export", "--since", SINCE), ("sources",), ("status",)]


@pytest.fixture()
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    with Store(tmp_path / "monitor.db") as store:
        for key in REPORTS:
            store.add_article(article(key), [])
    return path


def invoke(*args: str) -> Result:
    runner = CliRunner(env={"OPS_TOKEN": None, "MONITOR_CONFIG": None, "COLUMNS": "250"})
    return runner.invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: c[0])
def test_read_only_commands_do_not_need_alert_secrets(config: Path,
                                                      command: tuple[str, ...]) -> None:
    result = invoke(*command, "-c", str(config))
    assert result.exit_code == 0, result.output
    assert "OPS_TOKEN" not in result.output


def test_the_daemon_still_needs_the_secret(config: Path) -> None:
    result = invoke("check", "-c", str(config))
    assert result.exit_code == 2 and "OPS_TOKEN is not set" in result.output


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: c[0])
def test_db_option_needs_no_config(config: Path, command: tuple[str, ...], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "elsewhere"  # no config.yaml here
    empty.mkdir()
    monkeypatch.chdir(empty)
    result = invoke(*command, "--db", str(config.parent / "monitor.db"))
    assert result.exit_code == 0, result.output


def test_db_option_reads_that_file(config: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with Store(other) as store:
        store.add_article(article("maysan_k24"), [])
    rows = json.loads(invoke("hits", "--since", SINCE, "--db", str(other), "--format",
                             "json").stdout)
    assert {r["source"] for r in rows} == {"Kurdistan24"}
    missing = invoke("hits", "--db", str(tmp_path / "nope.db"))
    assert missing.exit_code == 1 and "no database at" in missing.output
    assert not (tmp_path / "nope.db").exists()  # a typo does not create an empty database


def test_status_with_db_counts_the_sources_the_database_knows(config: Path) -> None:
    with Store(config.parent / "monitor.db") as store:
        store.db["sources"].insert({"name": "Shafaq News (EN)", "url": "https://s.example/rss",
                                    "kind": "rss", "last_checked": "2026-01-05T10:00:00Z"})
    data = json.loads(invoke("status", "--db", str(config.parent / "monitor.db"),
                             "--format", "json").stdout)
    assert data["sources"]["enabled"] == 1 and data["sources"]["healthy"] == 1


def _entities(result: Result) -> set[str]:
    assert result.exit_code == 0, result.output
    return {r["entity"] for r in json.loads(result.stdout)}


@pytest.mark.parametrize("given", ["Hussein al-Alaq", "HUSSEIN AL-ALAQ", "hussein al-allaq",
                                   "حسين العلاق"])
def test_entity_takes_an_alias_in_any_case(config: Path, given: str) -> None:
    hits = invoke("hits", "--since", SINCE, "--entity", given, "--format", "json",
                  "-c", str(config))
    assert _entities(hits) == {"Hussein al-Alaq"}
    stories = invoke("stories", "--since", SINCE, "--entity", given, "--format", "json",
                     "-c", str(config))
    # The English and Arabic reports of the killing: one story across languages.
    assert stories.exit_code == 0 and len(json.loads(stories.stdout)) == 1


def test_with_db_aliases_come_from_the_watchlist_tables(config: Path) -> None:
    from monitor.config import load_config

    db = str(config.parent / "monitor.db")
    unknown = invoke("hits", "--since", SINCE, "--entity", "حسين العلاق", "--db", db)
    assert unknown.exit_code == 2 and "not a known watched name" in unknown.output
    with Store(db) as store:  # what the daemon writes at its start
        store.sync_watchlist(load_config(config, reading=True).watchlist)
    hits = invoke("hits", "--since", SINCE, "--entity", "حسين العلاق", "--format", "json",
                  "--db", db)
    assert _entities(hits) == {"Hussein al-Alaq"}


def test_an_unknown_entity_is_an_error_with_a_suggestion(config: Path) -> None:
    for args in (("-c", str(config)), ("--db", str(config.parent / "monitor.db"))):
        result = invoke("hits", "--entity", "Husein al-Alaq", *args)
        assert result.exit_code == 2
        assert "'Husein al-Alaq' is not a known watched name" in result.output
        assert "did you mean 'Hussein al-Alaq'?" in result.output
    nothing_close = invoke("stories", "--entity", "Zebra", "-c", str(config))
    assert nothing_close.exit_code == 2 and "'Zebra' is not a known" in nothing_close.output


def test_source_is_resolved_in_any_case_and_a_typo_is_an_error(config: Path) -> None:
    rows = json.loads(invoke("hits", "--since", SINCE, "--source", "kurdistan24", "--format",
                             "json", "-c", str(config)).stdout)
    assert rows and {r["source"] for r in rows} == {"Kurdistan24"}
    for command in (("hits",), ("search", "Maysan")):
        typo = invoke(*command, "--source", "Kurdistan 42", "-c", str(config))
        assert typo.exit_code == 2
        assert "did you mean 'Kurdistan24'?" in typo.output


def test_since_means_fetched_everywhere_and_published_since_is_the_other(
        tmp_path: Path) -> None:
    """The Maysan reports were published on the 5th but fetched on the 10th (a source
    that was down); the rest were fetched as published. Both commands agree."""
    db = tmp_path / "monitor.db"
    with Store(db) as store:
        for key in REPORTS:
            a = article(key)
            if key.startswith("maysan_"):
                a.fetched = "2026-01-10T09:00:00+00:00"
            store.add_article(a, [])

    def rows(*args: str) -> list[dict[str, object]]:
        result = invoke(*args, "--db", str(db), "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    fetched_hits = rows("hits", "--since", "2026-01-08")
    assert {h["url"] for h in fetched_hits} == {REPORTS[k][1] for k in REPORTS
                                                if k.startswith("maysan_")}
    fetched_stories = rows("stories", "--since", "2026-01-08")
    assert len(fetched_stories) == 1  # the Maysan story, as hits say
    assert {h["story_id"] for h in fetched_hits} == {fetched_stories[0]["id"]}
    for command in ("hits", "stories", "export"):
        assert rows(command, "--since", SINCE, "--published-since", "2026-01-08") == []
    assert len(rows("stories", "--since", SINCE, "--published-since", DAY)) == len(
        rows("stories", "--since", SINCE))
    searched = rows("search", "Maysan", "--since", "2026-01-08")
    assert searched and all(r["url"].startswith("https://") for r in searched)
    assert rows("search", "Maysan", "--published-since", "2026-01-08") == []


@pytest.mark.parametrize("command", [("hits", "--since", SINCE),
                                     ("hits", "--since", SINCE, "--group-by", "entity"),
                                     ("search", "Amarah OR العمارة"),
                                     ("stories", "--since", SINCE)], ids=" ".join)
def test_limit_says_how_many_there_were(config: Path, command: tuple[str, ...]) -> None:
    db = ("--db", str(config.parent / "monitor.db"))
    every = json.loads(invoke(*command, *db, "--format", "json").stdout)
    assert len(every) > 1
    # Two stories in the fixture (each in English and Arabic): cut at one of them.
    n = min(2, len(every) - 1)
    table = invoke(*command, *db, "--limit", str(n))
    assert f"showing {n} of {len(every)} " in table.stdout
    for fmt in ("json", "csv"):
        cut = invoke(*command, *db, "--limit", str(n), "--format", fmt)
        assert f"showing {n} of {len(every)} " in cut.stderr
        assert "showing" not in cut.stdout
    assert len(json.loads(invoke(*command, *db, "--limit", str(n), "--format",
                                 "json").stdout)) == n
    whole = invoke(*command, *db, "--limit", str(len(every)))
    assert "showing" not in whole.output


def test_match_and_a_dry_run_rematch_need_no_alert_secrets(config: Path) -> None:
    runner = CliRunner(env={"OPS_TOKEN": None})
    matched = runner.invoke(cli, ["match", "-c", str(config)], input="Hussein Al-Allaq spoke")
    assert matched.exit_code == 0, matched.output
    assert json.loads(matched.stdout)["matches"][0]["entity"] == "Hussein al-Alaq"
    dry = runner.invoke(cli, ["rematch", "--since", SINCE, "-c", str(config)])
    assert dry.exit_code == 0, dry.output
    alerting = runner.invoke(cli, ["rematch", "--apply", "--alert", "-c", str(config)])
    assert alerting.exit_code == 2 and "OPS_TOKEN is not set" in alerting.output


def test_a_name_no_longer_watched_is_still_found_in_the_data(config: Path) -> None:
    """Muqtada al-Sadr has hits but is not in this watchlist (removed, say): his name, in
    any case, still selects them; the stored names are read only for such a name."""
    rows = json.loads(invoke("hits", "--since", SINCE, "--entity", "MUQTADA AL-SADR",
                             "--format", "json", "-c", str(config)).stdout)
    assert rows and {r["entity"] for r in rows} == {"Muqtada al-Sadr"}
