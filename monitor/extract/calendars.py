"""Dates that cannot be Gregorian news dates: Hijri years, and implausible moments.

Arabic sites sometimes put a Hijri (Umm al-Qura) date in a machine-readable field, in
ISO form: Shafaq's `pubdate` "1439-07-04T12:23:48" is 21 March 2018, not the year 1439.
Years 1343-1500 are the span hijridate converts (1924-2077 Gregorian); no Gregorian news
date falls in it, so a date there is read as Hijri. Datelines written out with a Hijri
month name ("4 رجب 1439 هـ"; names in data/hijri_months.yaml) are read too. Any date still outside
[1990, now + 1 day] is wrong (an epoch-zero default, a typo, a timezone bug) and is
refused, so that the caller falls through to its next source of a date.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.resources import files

import yaml
from hijridate import Hijri

from monitor.clock import now

__all__ = ["EARLIEST", "FUTURE_SLACK", "from_hijri", "hijri_in_text", "plausible"]

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


def hijri_in_text(text: str) -> datetime | None:
    """The first "day Hijri-month year" date in `text` ("4 رجب 1439"), as Gregorian."""
    for found in _hijri_text().finditer(text):
        month = _hijri_months()[" ".join(found.group("month").split())]
        try:
            day = Hijri(int(found.group("year")), month, int(found.group("day"))).to_gregorian()
        except (ValueError, OverflowError):
            continue
        return datetime(day.year, day.month, day.day)
    return None


@cache
def _hijri_months() -> dict[str, int]:
    data = yaml.safe_load(files("monitor.extract").joinpath("data/hijri_months.yaml")
                          .read_text(encoding="utf-8"))
    return {" ".join(str(name).split()): int(number) for name, number in data["months"].items()}


@cache
def _hijri_text() -> re.Pattern[str]:
    names = sorted(_hijri_months(), key=len, reverse=True)  # "ربيع الأول" before shorter
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
    return re.compile(rf"(?<!\d)(?P<day>\d{{1,2}})\s+(?P<month>{alternatives})،?\s+"
                      rf"(?P<year>\d{{4}})(?!\d)")
