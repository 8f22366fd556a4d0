"""Retry and back-off decisions, as pure functions of what happened."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Within one poll we wait at most this long before a retry; a longer Retry-After means
# "come back at the next poll" and is honoured by the source's back-off instead.
MAX_RETRY_WAIT = 30.0
# An article page answering these is gone for good: recorded once, never fetched again.
# (A feed or listing answering them is a failing source, which its health shows.)
GONE_STATUSES = frozenset({404, 410})
BASE_RETRY_WAIT = 1.0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After in seconds, from delta-seconds or an HTTP-date; None if absent/invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def retry_delay(*, attempt: int, retries: int, status: int | None = None,
                transient: bool = False, retry_after: float | None = None) -> float | None:
    """Seconds to wait before trying again, or None to give up now.

    `attempt` counts from 1. Retryable: connection errors and timeouts (`transient`) and
    the statuses in RETRY_STATUSES. A Retry-After beyond MAX_RETRY_WAIT is not waited for
    inside a poll.
    """
    if attempt > retries:
        return None
    if not transient and status not in RETRY_STATUSES:
        return None
    if retry_after is not None:
        return retry_after if retry_after <= MAX_RETRY_WAIT else None
    return min(BASE_RETRY_WAIT * 2 ** (attempt - 1), MAX_RETRY_WAIT)


def article_gone(status: int | None) -> bool:
    """True when an article page's failure is permanent, so later polls must not retry it."""
    return status in GONE_STATUSES


def backoff_delay(every: float, failures: int, cap: float,
                  retry_after: float | None = None) -> float:
    """How long after a poll the source is polled again, given consecutive failures.

    Doubles per failure from the source's own interval, up to `cap`, never abandoned;
    a server's Retry-After is respected when it asks for longer.
    """
    if failures <= 0:
        return every
    delay = min(every * 2 ** (failures - 1), max(cap, every))
    return max(delay, min(retry_after or 0.0, cap))
