"""The daemon's answer to a full disk: pause, retry with back-off, resume by itself.

A poll that cannot store what it fetched has wasted the fetch, and the next one would fetch
it all again and fail the same way; an alert sent but not recorded as sent would be sent
again every 30 s. So when a write fails for want of space, polling and alert sending pause
(the database is intact: the failed transaction rolled back, the feed's ETag and body hash
were not recorded, so nothing is skipped later). After a delay one poll is let through as a
probe, if the file system has space by then; if it stores, everything resumes, else the
delay doubles, up to `cap`. /healthz and the log say so throughout.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from .clock import iso, now

__all__ = ["StoragePause"]


@dataclass
class StoragePause:
    base: float = 60.0  # seconds before the first probe
    cap: float = 1800.0
    clock: Callable[[], float] = time.monotonic
    error: str | None = None  # set while paused
    since: str | None = None
    delay: float = 0.0
    _retry_at: float = 0.0
    _probing: bool = False
    _resumed_at: float | None = field(default=None, repr=False)

    @property
    def paused(self) -> bool:
        return self.error is not None

    def trip(self, error: str) -> float:
        """A write failed for want of space: pause (again). Returns the seconds until the
        next probe. A failure soon after resuming continues the same back-off."""
        moment = self.clock()
        recent = self._resumed_at is not None and moment - self._resumed_at < 2 * self.delay
        if self.paused or recent:
            self.delay = min(max(self.delay, self.base) * 2, self.cap)
        else:
            self.delay = self.base
            self.since = iso(now())
        self.error = error
        self._retry_at = moment + self.delay
        self._probing = False
        return self.delay

    def may_poll(self) -> bool:
        """Whether a poll may run now: always when not paused; when paused, one probe
        at a time once the delay is over."""
        if not self.paused:
            return True
        if self._probing or self.clock() < self._retry_at:
            return False
        self._probing = True
        return True

    @property
    def probing(self) -> bool:
        return self._probing

    def resume(self) -> str | None:
        """The probe stored what it had: writes work again. Returns since when it was
        paused."""
        since = self.since
        self.error = self.since = None
        self._probing = False
        self._resumed_at = self.clock()
        return since

    def end_probe(self) -> None:
        """The probe ended without telling (another error): wait a delay, try again."""
        if self._probing:
            self._probing = False
            self._retry_at = self.clock() + self.delay

    def status(self) -> dict[str, Any]:
        if not self.paused:
            return {"state": "ok"}
        wait = max(0.0, self._retry_at - self.clock())
        return {"state": "full", "error": self.error, "since": self.since,
                "next_try": iso(now() + timedelta(seconds=wait)),
                "polling": "paused", "alerts": "paused"}
