"""`monitor backup`: SQLite's online backup, while another process keeps writing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.models import Article
from monitor.store import Store


def _article(n: int) -> Article:
    return Article(url=f"https://x.example/a/{n}", source="Test", title=f"Report {n}",
                   body=f"Qais al-Khazali spoke in Maysan, report {n}.",
                   fetched="2026-01-03T12:00:00+00:00")


def _database(path: Path, articles: int) -> None:
    with Store(path) as store:
        for n in range(articles):
            store.add_article(_article(n), [])


def test_backup_is_a_checked_self_contained_copy(tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    _database(db, 5)
    out = tmp_path / "copy.db"
    result = CliRunner().invoke(cli, ["backup", "--db", str(db), str(out)])
    assert result.exit_code == 0, result.output
    assert "5 articles" in result.output
    copy = sqlite3.connect(out)
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal needed
    assert copy.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    assert not list(tmp_path.glob(".copy.db.partial-*"))


def test_backup_refuses_to_overwrite_or_copy_onto_itself(tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    _database(db, 1)
    out = tmp_path / "copy.db"
    out.write_bytes(b"keep me")
    result = CliRunner().invoke(cli, ["backup", "--db", str(db), str(out)])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {out} exists; use --force to overwrite it"
    assert out.read_bytes() == b"keep me"
    result = CliRunner().invoke(cli, ["backup", "--db", str(db), str(db), "--force"])
    assert result.exit_code == 1 and "is the database itself" in result.output
    missing = CliRunner().invoke(cli, ["backup", "--db", str(tmp_path / "none.db"), str(out)])
    assert missing.exit_code == 1 and "no database at" in missing.output
    assert CliRunner().invoke(cli, ["backup", "--db", str(db), str(out), "--force"]
                              ).exit_code == 0
    assert sqlite3.connect(out).execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_backup_while_another_process_writes(tmp_path: Path) -> None:
    """The writer commits all the time (as the daemon does); each backup is a consistent
    snapshot: every hit's article is in it and the counts agree with one moment."""
    db = tmp_path / "monitor.db"
    _database(db, 1)
    writer = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, time
        db = sqlite3.connect({str(db)!r}, timeout=30)
        deadline = time.monotonic() + 20
        n = 0
        while time.monotonic() < deadline:
            with db:
                cur = db.execute(
                    "INSERT INTO articles (url, source, title, body, fetched, content_hash)"
                    " VALUES (?, 'W', 't', 'b', '2026-01-03T12:00:00+00:00', ?)",
                    (f'https://w.example/{{n}}', str(n)))
                db.execute("INSERT INTO hits (article_id, entity, kind, matched_text, start,"
                           " end, snippet) VALUES (?, 'E', 'actor', 'E', 0, 1, 'E')",
                           (cur.lastrowid,))
            n += 1
            if n == 50:
                open({str(tmp_path / "started")!r}, "w").close()
    """)])
    try:
        started = tmp_path / "started"
        for _ in range(400):
            if started.exists() or writer.poll() is not None:
                break
            subprocess.run(["sleep", "0.05"])
        assert started.exists(), "the writer did not start"
        sizes = []
        for k in range(3):
            out = tmp_path / f"b{k}.db"
            result = CliRunner().invoke(cli, ["backup", "--db", str(db), str(out)])
            assert result.exit_code == 0, result.output
            copy = sqlite3.connect(out)
            assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            orphans = copy.execute("SELECT count(*) FROM hits WHERE article_id NOT IN "
                                   "(SELECT id FROM articles)").fetchone()[0]
            writes = copy.execute("SELECT count(*) FROM articles WHERE source = 'W'"
                                  ).fetchone()[0]
            hits = copy.execute("SELECT count(*) FROM hits WHERE entity = 'E'").fetchone()[0]
            assert orphans == 0 and writes == hits and writes >= 50
            sizes.append(writes)
            copy.close()
        assert writer.poll() is None, "the writer kept running through the backups"
    finally:
        writer.kill()
        writer.wait()
    assert sizes == sorted(sizes)
