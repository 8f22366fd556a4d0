"""Turn the many ways news sites write a date into one UTC ISO 8601 string.

Sites put machine-readable dates in metadata (ISO 8601, RFC 2822) but some only show
human text such as "Jan. 03, 2026 • 3 min read" (The New Region) or "3 January 2026",
so those are searched for inside longer strings too.

A Hijri date in ISO form is converted, and a date that cannot be a news date (before
1990, more than a day ahead) is no date at all: see calendars.py.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime, tzinfo

from monitor.extract.calendars import from_hijri, hijri_in_text, plausible

__all__ = ["parse_date", "to_utc_iso"]

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    # Arabic outlets use either the Egyptian (transliterated) or the Levantine/Iraqi names.
    "يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "ابريل": 4, "مايو": 5, "يونيو": 6,
    "يوليو": 7, "أغسطس": 8, "اغسطس": 8, "سبتمبر": 9, "أكتوبر": 10, "اكتوبر": 10,
    "نوفمبر": 11, "ديسمبر": 12,
    "كانون الثاني": 1, "شباط": 2, "آذار": 3, "اذار": 3, "نيسان": 4, "أيار": 5, "ايار": 5,
    "حزيران": 6, "تموز": 7, "آب": 8, "اب": 8, "أيلول": 9, "ايلول": 9,
    "تشرين الأول": 10, "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الأول": 12,
    "كانون الاول": 12,
}
# Longest names first so "كانون الثاني" wins over a shorter overlapping name.
_ARABIC_MONTHS = "|".join(
    sorted((re.escape(k) for k in _MONTHS if not k.isascii()), key=len, reverse=True)
)
_MONTH = rf"(?P<month>[A-Za-z]{{3,9}}\.?|{_ARABIC_MONTHS})"
_TIME = r"(?:[,\s]+(?:at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?" \
        r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
_MONTH_FIRST = re.compile(rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
                          rf"(?P<year>\d{{4}}){_TIME}")
_DAY_FIRST = re.compile(rf"(?<!\d)(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?"
                        rf"\s+(?P<year>\d{{4}}){_TIME}")
_NUMERIC = re.compile(r"(?<!\d)(?P<year>\d{4})[/.-](?P<month>\d{1,2})[/.-](?P<day>\d{1,2})"
                      r"(?:[T\s]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?")
_ISO_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                       r"(?:Z|[+-]\d{2}:?\d{2})?)?")
# Eastern Arabic and Persian digits appear in Arabic datelines.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def to_utc_iso(dt: datetime, default_tz: tzinfo = UTC) -> str:
    """Format as `2026-01-03T14:05:00+00:00`; a naive time is taken to be in default_tz."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=default_tz)
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_date(text: str | None, default_tz: tzinfo = UTC) -> str | None:
    """Parse a date in any of the supported shapes; None when nothing date-like is found,
    or what is found cannot be a news date (then the caller tries its next source)."""
    if not text:
        return None
    cleaned = " ".join(text.translate(_DIGITS).split())
    if not cleaned:
        return None
    for parser in (_parse_iso, _parse_rfc2822, _parse_human, hijri_in_text):
        dt = parser(cleaned)
        if dt is not None:
            return _checked(dt, default_tz)
    return None


def _checked(dt: datetime, default_tz: tzinfo) -> str | None:
    """`dt` as UTC ISO if it is a plausible date once a Hijri year is converted."""
    gregorian = from_hijri(dt)
    if gregorian is None:
        return None
    if gregorian.tzinfo is None:
        gregorian = gregorian.replace(tzinfo=default_tz)
    return to_utc_iso(gregorian) if plausible(gregorian) else None


def _parse_iso(text: str) -> datetime | None:
    """ISO 8601 as a whole string first, then an ISO timestamp embedded in text."""
    candidates = [text]
    found = _ISO_LIKE.search(text)
    if found:
        candidates.append(found.group(0))
    for candidate in candidates:
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            continue
    return None


def _parse_rfc2822(text: str) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None


def _parse_human(text: str) -> datetime | None:
    for regex in (_MONTH_FIRST, _DAY_FIRST, _NUMERIC):
        for found in regex.finditer(text):
            dt = _from_parts(found)
            if dt is not None:
                return dt
    return None


def _from_parts(found: re.Match[str]) -> datetime | None:
    """Build a datetime from named groups; None if the parts are not a real date."""
    parts = found.groupdict()
    month = _month_number(parts["month"])
    if month is None:
        return None
    hour = int(parts.get("hour") or 0)
    ampm = (parts.get("ampm") or "").replace(".", "").lower()
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        return datetime(int(parts["year"]), month, int(parts["day"]), hour,
                        int(parts.get("minute") or 0), int(parts.get("second") or 0))
    except ValueError:
        return None


def _month_number(value: str) -> int | None:
    if value.isdigit():
        return int(value)
    key = value.rstrip(".").lower()
    if key in _MONTHS:
        return _MONTHS[key]
    # Full English names ("January", "September") map through their first three letters.
    return _MONTHS.get(key[:3]) if key.isascii() and len(key) > 3 else None
