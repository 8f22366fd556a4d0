"""Time as the store records it: UTC ISO 8601 strings, second precision."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_SINCE = re.compile(r"^\s*(\d+)\s*(m|h|d|w)\s*$")
_SINCE_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def now_iso() -> str:
    return iso(now())


def since_to_iso(since: str, reference: datetime | None = None) -> str:
    """'24h', '7d', '30m', '2w' or an ISO date -> the UTC ISO instant it names."""
    m = _SINCE.match(since)
    if m:
        delta = timedelta(**{_SINCE_UNITS[m.group(2)]: int(m.group(1))})
        return iso((reference or now()) - delta)
    try:
        return iso(datetime.fromisoformat(since.strip()))
    except ValueError:
        raise ValueError(f"{since!r} is not a time span (24h, 7d, 2w) or an ISO date") from None
