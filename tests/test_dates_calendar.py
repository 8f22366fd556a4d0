"""Dates from other calendars and dates that cannot be right (issue 16, item 7).

A real Shafaq page declared its pubdate as a Hijri date in ISO form (1439-07-04T12:23:48)
and it was stored as the Gregorian year 1439. Hijri years are converted; a date before
1990 or more than a day ahead is refused in favour of the page's next source of a date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.extract import extract_article, parse_date, parse_feed

BODY = ("<p>" + "Security forces in Baghdad arrested three suspects on Tuesday. " * 8 + "</p>")


def page(head: str, body: str = BODY) -> str:
    return f"<html><head><title>Arrests in Baghdad</title>{head}</head><body><article>" \
           f"<h1>Arrests in Baghdad</h1>{body}</article></body></html>"


def ahead(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@pytest.mark.parametrize(("text", "expected"), [
    ("1439-07-04T12:23:48", "2018-03-21T12:23:48+00:00"),  # the Shafaq page
    ("1439-07-04", "2018-03-21T00:00:00+00:00"),
    ("1446-09-01T08:00:00+03:00", "2025-03-01T05:00:00+00:00"),  # 1 Ramadan 1446
    ("2018-03-21T12:23:48", "2018-03-21T12:23:48+00:00"),  # Gregorian untouched
    ("1990-01-01T00:00:00Z", "1990-01-01T00:00:00+00:00"),
])
def test_hijri_years_are_converted(text: str, expected: str) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", [
    "1439-08-30T10:00:00",  # Sha'ban 1439 has 29 days: no such Hijri date
    "1970-01-01T00:00:00Z",  # the epoch: an empty field formatted
    "1989-12-31",
    "0001-01-01T00:00:00",
    "2099-05-01T10:00:00Z",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "3 January 1975",
])
def test_impossible_dates_are_refused(text: str) -> None:
    assert parse_date(text) is None


def test_the_future_window_is_one_day() -> None:
    assert parse_date(ahead(hours=20)) is not None  # a time-zone mix-up, still today
    assert parse_date(ahead(days=2)) is None


def test_shafaq_hijri_pubdate_becomes_gregorian() -> None:
    html = page('<meta name="pubdate" content="1439-07-04T12:23:48">')
    assert extract_article(html, "https://shafaq.com/ar/x").published == \
        "2018-03-21T12:23:48+00:00"


@pytest.mark.parametrize("bad", ["1970-01-01T00:00:00Z", "2099-01-01T00:00:00Z",
                                 "0001-01-01T00:00:00"])
def test_an_impossible_date_gives_way_to_the_next_source(bad: str) -> None:
    ld = ('<script type="application/ld+json">{"@type": "NewsArticle", '
          f'"datePublished": "{bad}"}}</script>')
    html = page(ld + '<meta property="article:published_time" '
                'content="2026-01-03T14:05:00+03:00">')
    assert extract_article(html, "https://x.example/a").published == \
        "2026-01-03T11:05:00+00:00"


def test_an_impossible_date_gives_way_to_the_visible_date() -> None:
    html = page('<meta name="pubdate" content="2099-01-01">',
                '<time>3 January 2026</time>' + BODY)
    assert extract_article(html, "https://x.example/a").published == \
        "2026-01-03T00:00:00+00:00"


def test_arabic_page_with_only_an_impossible_date_has_none() -> None:
    body = "<p>" + "اعتقلت القوات الأمنية في بغداد ثلاثة مشتبه بهم يوم الثلاثاء. " * 8 + "</p>"
    html = page('<meta name="pubdate" content="1970-01-01T00:00:00Z">', body)
    assert extract_article(html, "https://x.example/a").published is None


def test_feed_dates_in_the_future_fall_back_to_updated() -> None:
    xml = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>One</title><link href="https://x.example/1"/><id>1</id>
<published>2099-01-01T00:00:00Z</published><updated>2026-01-03T10:00:00Z</updated></entry>
<entry><title>Two</title><link href="https://x.example/2"/><id>2</id>
<published>1439-07-04T12:23:48Z</published></entry>
</feed>"""
    entries, _ = parse_feed(xml, "https://x.example/feed")
    assert [e.published for e in entries] == ["2026-01-03T10:00:00+00:00",
                                              "2018-03-21T12:23:48+00:00"]


@pytest.mark.parametrize(("text", "expected"), [
    ("الأربعاء 4 رجب 1439 هـ", "2018-03-21T00:00:00+00:00"),
    ("12 ربيع الأول 1446", "2024-09-15T00:00:00+00:00"),
    ("1 رمضان، 1446", "2025-03-01T00:00:00+00:00"),
    ("١ رمضان ١٤٤٦", "2025-03-01T00:00:00+00:00"),  # Eastern Arabic digits
    # Both calendars on one dateline: the Gregorian date is read.
    ("الأربعاء 4 رجب 1439 هـ الموافق 21 آذار 2018", "2018-03-21T00:00:00+00:00"),
])
def test_hijri_month_names_in_text(text: str, expected: str) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", [
    "30 شعبان 1439",  # no such day
    "4 رجب 2018",  # a Hijri month with a Gregorian year: neither
    "وزير الداخلية طه ياسين رمضان 1990",  # Ramadan the name, not the month: no day before it
    "شهر رمضان المبارك",
])
def test_hijri_month_name_traps(text: str) -> None:
    assert parse_date(text) is None


def test_page_with_only_a_hijri_dateline() -> None:
    html = page("", '<p class="date">الأربعاء 4 رجب 1439 هـ</p>' + BODY)
    assert extract_article(html, "https://x.example/a").published == \
        "2018-03-21T00:00:00+00:00"
