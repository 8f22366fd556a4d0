"""Dates that cannot be Gregorian news dates: Hijri years, and implausible moments.

Arabic sites sometimes put a Hijri (Umm al-Qura) date in a machine-readable field, in
ISO form: Shafaq's `pubdate` "1439-07-04T12:23:48" is 21 March 2018, not the year 1439.
Years 1343-1500 are the span hijridate converts (1924-2077 Gregorian); no Gregorian news
date falls in it, so a date there is read as Hijri. Any date still outside
[1990, now + 1 day] is wrong (an epoch-zero default, a typo, a timezone bug) and is
refused, so that the caller falls through to its next source of a date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hijridate import Hijri

from monitor.clock import now

__all__ = ["EARLIEST", "FUTURE_SLACK", "from_hijri", "plausible"]

HIJRI_YEARS = range(1343, 1501)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
# Clocks and time zones differ: a date up to a day ahead of ours is a time-zone mix-up at
# worst, and still the right day.
FUTURE_SLACK = timedelta(days=1)


def from_hijri(dt: datetime) -> datetime | None:
    """The Gregorian moment of `dt` when its year is a Hijri year (time and zone kept);
    `dt` itself when it is not; None when it is no valid Hijri date (day 30 of a 29-day
    month)."""
    if dt.year not in HIJRI_YEARS:
        return dt
    try:
        day = Hijri(dt.year, dt.month, dt.day).to_gregorian()
    except (ValueError, OverflowError):
        return None
    return dt.replace(year=day.year, month=day.month, day=day.day)


def plausible(dt: datetime) -> bool:
    """Whether an aware `dt` can be a news article's date."""
    try:
        return EARLIEST <= dt <= now() + FUTURE_SLACK
    except (TypeError, OverflowError):  # naive, or a zone pushing it past year 9999
        return False
