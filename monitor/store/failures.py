"""Why the database cannot be written, as one line that says what to do.

SQLite and the file system report a locked database, a full disk and a read-only directory
as exceptions from deep inside whatever write met them first (a 30-56 line traceback from
`record_article_failure`). `store_failure` turns those into the StoreError subclasses the
CLI prints as one line, and the daemon acts on (a full disk pauses polling). Any other
sqlite3 error is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from ..errors import StorageFullError, StoreError, StoreLockedError, StoreNotWritableError

__all__ = ["MIN_FREE_BYTES", "check_free_space", "free_bytes", "remember_database",
           "store_failure", "translate"]

# Below this much free space a run would fetch pages it then cannot store: refuse at once.
MIN_FREE_BYTES = 8 << 20

# The database this process opened last, for errors that reach the CLI from anywhere in a
# run (a command opens one database).
_opened: tuple[Path, float] | None = None

_LOCKED = ("SQLITE_BUSY", "SQLITE_LOCKED")
_FULL = ("SQLITE_FULL",)
_NOT_WRITABLE = ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
_NOT_WRITABLE_ERRNOS = (errno.EROFS, errno.EACCES, errno.EPERM)


def store_failure(exc: BaseException, path: Path, *,
                  busy_timeout: float = 30.0) -> StoreError | None:
    """The StoreError `exc` amounts to for the database at `path`; None when it is not a
    locked, full or read-only database (then it is someone's bug)."""
    kind = _kind(exc)
    if kind == "locked":
        return StoreLockedError(
            f"{path}: the database is locked by another process (waited "
            f"{busy_timeout:g} s): end that process's transaction (an open sqlite3 shell, "
            "a script writing to it) and run again; nothing was written")
    if kind == "full":
        return StorageFullError(
            f"{path}: no space left to store data ({_free_text(path)}): free space there "
            "and run again; what is stored is intact")
    if kind == "readonly":
        where = path.parent
        return StoreNotWritableError(
            f"{path}: cannot write the database or its lock file in {where} "
            f"({_detail(exc)}): make {where} writable for this user, or set `database:` "
            "in the config to a writable path")
    return None


def remember_database(path: Path, busy_timeout: float) -> None:
    global _opened
    _opened = (path, busy_timeout)


def translate(exc: BaseException) -> StoreError | None:
    """`store_failure` for the database this process opened (the CLI's one database)."""
    if _opened is None:
        return None
    path, busy_timeout = _opened
    return store_failure(exc, path, busy_timeout=busy_timeout)


def _kind(exc: BaseException) -> str | None:
    if isinstance(exc, sqlite3.Error):
        name = getattr(exc, "sqlite_errorname", "") or ""
        message = str(exc).lower()
        if name.startswith(_LOCKED) or "database is locked" in message:
            return "locked"
        if name.startswith(_FULL) or "database or disk is full" in message:
            return "full"
        if name.startswith(_NOT_WRITABLE) or "readonly database" in message:
            return "readonly"
        return None
    if isinstance(exc, OSError):
        if exc.errno in _FULL_ERRNOS:
            return "full"
        if exc.errno in _NOT_WRITABLE_ERRNOS:
            return "readonly"
    return None


def _detail(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def free_bytes(path: Path) -> int | None:
    """Free space for this user where the database lives; None when it cannot be told."""
    for candidate in (path.parent, *path.parent.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free
            except OSError:
                return None
    return None


def _free_text(path: Path) -> str:
    free = free_bytes(path)
    if free is None:
        return "free space unknown"
    return f"{free / (1 << 20):.1f} MB free on {_mount_point(path.parent)}"


def _mount_point(path: Path) -> Path:
    path = path.resolve()
    while not os.path.ismount(path) and path != path.parent:
        path = path.parent
    return path


def check_free_space(path: Path) -> None:
    """Raise StorageFullError when the database's file system is (nearly) full, before a
    run fetches pages it could not store."""
    free = free_bytes(path)
    if free is not None and free < MIN_FREE_BYTES:
        raise StorageFullError(
            f"{path}: no space left to store data ({_free_text(path)}; at least "
            f"{MIN_FREE_BYTES >> 20} MB needed): free space there and run again; what is "
            "stored is intact")
