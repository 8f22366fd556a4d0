"""`monitor backup`: a consistent copy of the database, safe while the daemon writes."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..cli import config_option, reports_errors
from ..errors import StoreError

if TYPE_CHECKING:
    import sqlite3


def backup_database(source: Path, destination: Path, *, force: bool = False) -> dict[str, int]:
    """Copy `source` to `destination` with SQLite's online backup API and return its counts.

    The copy is one read transaction (a snapshot: in WAL mode the daemon keeps writing
    meanwhile), written to a temporary file beside `destination`, checked with
    `PRAGMA quick_check`, switched to a single-file journal (no -wal to carry around) and
    only then renamed into place, so `destination` is never a half-written database.
    """
    if not source.is_file():
        raise StoreError(f"no database at {source}")
    if destination.exists() and not force:
        raise StoreError(f"{destination} exists; use --force to overwrite it")
    if destination.resolve() == source.resolve():
        raise StoreError(f"{destination} is the database itself; choose another path")
    if not destination.parent.is_dir():
        raise StoreError(f"no directory {destination.parent} to write the backup in")
    import sqlite3

    partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # all pages in one step: one consistent snapshot
                dst.execute("PRAGMA journal_mode=DELETE")
                check = dst.execute("PRAGMA quick_check").fetchone()[0]
                if check != "ok":
                    raise StoreError(f"the backup failed its integrity check: {check}")
                counts = {table: dst.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]
                          for table in ("articles", "hits") if _has_table(dst, table)}
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, destination)
    except sqlite3.Error as exc:
        raise StoreError(f"backup of {source} to {destination} failed: {exc}") from None
    except OSError as exc:
        raise StoreError(f"cannot write the backup {destination}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    return counts


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                      (name,)).fetchone() is not None


@click.command("backup")
@config_option
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
              help="The database to back up (default: the config's `database`).")
@click.option("--force", is_flag=True, help="Overwrite DESTINATION if it exists.")
@click.argument("destination", type=click.Path(dir_okay=False))
@reports_errors
def backup(config_path: str | None, db_path: str | None, force: bool,
           destination: str) -> None:
    """Copy the database to DESTINATION, safely while `monitor run` keeps writing.

    Uses SQLite's online backup: the copy is one consistent snapshot, checked, and
    self-contained (no -wal file). Restore: stop the daemon, put the copy in the
    database's place, delete any monitor.db-wal / -shm beside it, start the daemon.

    \b
    Example:
      monitor backup /backups/monitor-$(date +%F).db
      monitor backup --db /data/monitor.db /backups/latest.db --force
    """
    if db_path is None:
        from ..config import load_config

        source = load_config(config_path).database
    else:
        source = Path(db_path)
    started = time.perf_counter()
    counts = backup_database(source, Path(destination), force=force)
    size = Path(destination).stat().st_size
    what = ", ".join(f"{n:,} {table}" for table, n in counts.items())
    click.echo(f"backed up {source} to {destination}: {size / 1e6:.1f} MB"
               f"{f' ({what})' if what else ''} in {time.perf_counter() - started:.1f} s")


COMMANDS = [backup]
