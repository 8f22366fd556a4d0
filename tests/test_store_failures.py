"""A locked database, a full disk and a read-only directory (issue 16, item 4).

Each used to end `monitor once` with a 34-69 line traceback. Each now gives one line saying
what is wrong and what to do, exits 1, and leaves the database intact: a later run, once
the cause is gone, stores what the failed one could not.

How each is made real: the lock by another connection holding BEGIN EXCLUSIVE (with the
busy timeout lowered from 30 s); the full disk by `PRAGMA max_page_count`, which makes
SQLite fail with the very error a full disk gives (SQLITE_FULL, "database or disk is
full") at the first write that needs a new page; the read-only directory by `chattr +i`
(tests run as root, whom permission bits do not stop) or, for another user, chmod 0555.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.store import Store
from tests.fixture_server import FixtureServer
from tests.test_sources import PAGE, rss

# The second is long enough (~20 KB) that storing it needs new database pages.
ARTICLES = [("Khazali speaks", "/a/1", "Qais al-Khazali spoke in Maysan on Tuesday."),
            ("Sadr urges calm", "/a/2", "Muqtada al-Sadr urged calm in Baghdad on Monday. "
             + "Protesters gathered in Tahrir Square as the talks went on. " * 300)]


@pytest.fixture
def site() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


def publish(site: FixtureServer, count: int) -> None:
    """The feed lists the first `count` articles (each page served)."""
    items = [(title, site.url(path), text) for title, path, text in ARTICLES[:count]]
    site.add("/rss", rss(*items), content_type="application/rss+xml")
    for title, path, text in ARTICLES:
        site.add(path, PAGE.format(title=title, text=text))


def write_config(tmp_path: Path, site: FixtureServer, database: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"""
database: {database}
fetch: {{timeout: 5s, allow_private_addresses: true, delay: 0s, retries: 0}}
sources:
  - {{name: Feed, kind: rss, url: "{site.url('/rss')}"}}
watchlists:
  actors: [{{name: Qais al-Khazali}}, {{name: Muqtada al-Sadr}}]
""", encoding="utf-8")
    return config


def once(config: Path) -> Result:
    return CliRunner().invoke(cli, ["once", "-c", str(config)])


def assert_one_line_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert not isinstance(result.exception, sqlite3.Error | OSError), \
        "the error escaped as a traceback"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def stored_urls(database: Path) -> set[str]:
    conn = sqlite3.connect(database)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {row[0] for row in conn.execute("SELECT url FROM articles")}
    finally:
        conn.close()


def after_open(monkeypatch: pytest.MonkeyPatch, hook: Callable[[Store], None]) -> None:
    """Run `hook` on each Store right after it opened (and migrated) its database."""
    original = Store.__init__

    def opened(self: Store, path: str | Path, **options: bool) -> None:
        original(self, path, **options)
        hook(self)

    monkeypatch.setattr(Store, "__init__", opened)


# ------------------------------------------------------------------ locked

def test_locked_database_is_one_line_and_nothing_is_lost(tmp_path: Path, site: FixtureServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "monitor.db"
    config = write_config(tmp_path, site, database)
    publish(site, 1)
    assert once(config).exit_code == 0
    publish(site, 2)
    holders: list[sqlite3.Connection] = []

    def lock_it(_store: Store) -> None:  # another process takes the write lock mid-run
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        holders.append(holder)

    monkeypatch.setattr(Store, "busy_timeout", 0.2)
    after_open(monkeypatch, lock_it)
    result = once(config)
    assert_one_line_error(result, str(database),
                          "the database is locked by another process (waited 0.2 s)",
                          "run again")
    for holder in holders:
        holder.rollback()
        holder.close()
    monkeypatch.undo()
    assert stored_urls(database) == {site.url("/a/1")}
    assert once(config).exit_code == 0
    assert stored_urls(database) == {site.url("/a/1"), site.url("/a/2")}


# ------------------------------------------------------------------ full

def test_full_disk_is_one_line_and_a_later_run_stores_what_failed(
        tmp_path: Path, site: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "monitor.db"
    config = write_config(tmp_path, site, database)
    publish(site, 1)
    assert once(config).exit_code == 0
    publish(site, 2)

    def fill_it(store: Store) -> None:  # not one more page: SQLITE_FULL, as a full disk
        store.db.execute("VACUUM")  # no free pages left inside the file either
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")

    after_open(monkeypatch, fill_it)
    result = once(config)
    assert_one_line_error(result, str(database), "no space left to store data",
                          "free space there and run again", "what is stored is intact")
    monkeypatch.undo()
    assert stored_urls(database) == {site.url("/a/1")}
    # The failed run recorded no new feed state (etag, body hash) for articles it did not
    # store, so the next run reads the feed again and stores the article.
    assert once(config).exit_code == 0
    assert stored_urls(database) == {site.url("/a/1"), site.url("/a/2")}


def test_a_full_file_system_is_refused_before_anything_is_fetched(
        tmp_path: Path, site: FixtureServer, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "monitor.db"
    config = write_config(tmp_path, site, database)
    publish(site, 2)
    # Free space is what the file system reports; a test cannot fill the real disk.
    monkeypatch.setattr("monitor.store.failures.free_bytes", lambda _path: 4096)
    result = once(config)
    assert_one_line_error(result, "no space left to store data", "0.0 MB free",
                          "at least 8 MB needed")
    assert site.requests == []  # nothing fetched that could not be stored


# ------------------------------------------------------------------ read-only

@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """Make `directory` refuse new files for this process, root included."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(directory)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
    else:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)


@pytest.mark.parametrize(("command", "lock_file_exists"),
                         [("once", False), ("once", True), ("run", False), ("run", True)])
def test_read_only_directory_is_one_line(tmp_path: Path, site: FixtureServer, command: str,
                                         lock_file_exists: bool) -> None:
    data = tmp_path / "data"
    data.mkdir()
    database = data / "monitor.db"
    config = write_config(tmp_path, site, database)
    publish(site, 1)
    assert once(config).exit_code == 0
    if not lock_file_exists:
        (data / "monitor.db.lock").unlink()
    before = stored_urls(database)
    with read_only(data):
        result = CliRunner().invoke(cli, [command, "-c", str(config)])
    assert_one_line_error(result, f"cannot write the database or its lock file in {data}",
                          f"make {data} writable for this user", "`database:`")
    assert stored_urls(database) == before
