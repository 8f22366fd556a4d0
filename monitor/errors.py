"""The one exception tree of news-monitor.

    MonitorError                 base: anything the monitor reports to a user
    ├── ConfigError              config.yaml is wrong; message names file and key path
    ├── StoreError               the SQLite file cannot be opened, migrated or written
    │   ├── StoreLockedError     another process holds the write lock past the busy timeout
    │   ├── StorageFullError     no space for the database (disk, quota, size limit) to grow
    │   └── StoreNotWritableError  the database, its directory or its lock file is read-only
    ├── FetchError               a URL could not be fetched (HTTP status, timeout, size, ...)
    │   └── BlockedError         refused by policy: scheme, private address, redirects
    ├── ExtractError             fetched bytes are not a feed / article we can read
    └── AlertError               a channel could not deliver a message
        └── PermanentAlertError  retrying will not help (auth failed, 4xx from Slack)

The CLI turns any MonitorError into a one-line message and a non-zero exit code;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class for every error news-monitor reports to its user."""


class ConfigError(MonitorError):
    """The configuration is invalid. `str(err)` is ready to print."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class StoreError(MonitorError):
    """The database cannot be used."""


class StoreLockedError(StoreError):
    """Another process (a sqlite3 shell in a transaction, a script) kept the database
    locked longer than the busy timeout. Nothing was written; running again is safe."""


class StorageFullError(StoreError):
    """The database could not grow: the disk or quota is full. The transaction was rolled
    back, so what is stored is intact; the daemon pauses and retries with back-off."""


class StoreNotWritableError(StoreError):
    """The database file, its directory or its lock file cannot be written."""


class FetchError(MonitorError):
    """A fetch failed. `str(err)` is short and human-readable, never contains secrets."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None,
                 retry_after: float | None = None, transient: bool = False):
        self.url = url
        self.status = status
        self.retry_after = retry_after
        self.transient = transient  # a connection error or timeout: worth another try
        super().__init__(message)


class BlockedError(FetchError):
    """We refused to fetch: bad scheme, private address, too many redirects."""


class ExtractError(MonitorError):
    """The content could not be parsed into what we need."""


class AlertError(MonitorError):
    """A message could not be delivered; may succeed on a later attempt."""


class PermanentAlertError(AlertError):
    """A message could not be delivered and retrying will not help."""
