"""Built-in example alerts for `monitor alert-preview` and the README: one event reported in
two languages by three outlets. Fixed text and times, so the rendered output is stable."""

from __future__ import annotations

import re

from monitor.match.snippet import MARK_CLOSE, MARK_OPEN, make_snippet
from monitor.models import Hit

from .message import AlertMessage, Report

EXAMPLES = ("en", "ar")
PEOPLE = frozenset({"muqtada al-sadr", "qais al-khazali"})

EN_TITLE = ("Sadr orders Saraya al-Salam off Basra streets after clashes with "
            "Asa'ib Ahl al-Haq")
EN_BODY = (
    "Muqtada al-Sadr ordered Saraya al-Salam to withdraw from the streets of Basra on "
    "Tuesday after overnight clashes with Asa'ib Ahl al-Haq left two fighters dead. "
    "A spokesman for Qais al-Khazali said the movement would keep its men in their bases "
    "in Basra and Maysan. Sadr said the Peace Companies answer only to the state.")
AR_TITLE = "الصدر يأمر سرايا السلام بالانسحاب من شوارع البصرة بعد اشتباكات مع العصائب"
AR_BODY = (
    "أمر زعيم التيار الوطني الشيعي مقتدى الصدر سرايا السلام بالانسحاب من شوارع البصرة "
    "بعد اشتباكات ليلية مع عصائب أهل الحق أسفرت عن مقتل اثنين. "
    "وقال متحدث باسم قيس الخزعلي إن الحركة ستبقي عناصرها في مقراتها في البصرة وميسان.")

SHAFAQ_EN = Report("Shafaq News EN", EN_TITLE, "https://shafaq.com/en/Security/sadr-basra",
                   "2026-04-14T07:40:00Z")
SHAFAQ_AR = Report("Shafaq News AR", AR_TITLE, "https://shafaq.com/ar/أمن/الصدر-البصرة",
                   "2026-04-14T08:05:00Z")
RUDAW = Report("Rudaw EN Iraq", "Basra clashes: Sadr pulls Peace Companies back",
               "https://www.rudaw.net/english/middleeast/iraq/14042026",
               "2026-04-14T09:12:00Z")


def _hits(field: str, text: str, found: list[tuple[str, str, str]]) -> list[Hit]:
    """Hits for each (entity, kind, pattern) in `text`, each with its sentence marked as
    the matcher stores it."""
    hits: list[Hit] = []
    for entity, kind, pattern in found:
        for m in re.finditer(pattern, text):
            snippet = make_snippet(text, m.start(), m.end())
            snippet = snippet.replace("**", MARK_OPEN, 1).replace("**", MARK_CLOSE, 1)
            hits.append(Hit(entity, kind, m.group(), m.start(), m.end(), snippet, field=field))
    return sorted(hits, key=lambda h: h.start)


def _english() -> AlertMessage:
    found = [("Muqtada al-Sadr", "actor", r"Muqtada al-Sadr|(?<!al-)\bSadr\b"),
             ("Saraya al-Salam", "actor", "Saraya al-Salam"),
             ("Saraya al-Salam", "actor", "Peace Companies"),
             ("Asa'ib Ahl al-Haq", "actor", "Asa'ib Ahl al-Haq"),
             ("Qais al-Khazali", "actor", "Qais al-Khazali"),
             ("clashes", "keyword", "clashes"),
             ("Basra", "place", "Basra"), ("Maysan", "place", "Maysan")]
    hits = _hits("title", EN_TITLE, found) + _hits("body", EN_BODY, found)
    return AlertMessage(title=EN_TITLE, url=SHAFAQ_EN.url, source=SHAFAQ_EN.source,
                        published=SHAFAQ_EN.published, hits=tuple(hits), language="en",
                        also=(SHAFAQ_AR, RUDAW), people=PEOPLE)


def _arabic() -> AlertMessage:
    found = [("Muqtada al-Sadr", "actor", "مقتدى الصدر"),
             ("Patriotic Shiite Movement (Sadrist Movement)", "actor", "التيار الوطني الشيعي"),
             ("Saraya al-Salam", "actor", "سرايا السلام"),
             ("Asa'ib Ahl al-Haq", "actor", "عصائب أهل الحق"),
             ("Qais al-Khazali", "actor", "قيس الخزعلي"),
             ("Basra", "place", "البصرة"), ("Maysan", "place", "ميسان")]
    hits = _hits("title", AR_TITLE, found) + _hits("body", AR_BODY, found)
    return AlertMessage(title=AR_TITLE, url=SHAFAQ_AR.url, source=SHAFAQ_AR.source,
                        published=SHAFAQ_AR.published, hits=tuple(hits), language="ar",
                        earlier=(SHAFAQ_EN,), also=(RUDAW,), people=PEOPLE)


def example_alert(language: str = "en") -> AlertMessage:
    """The English report of the example event ("also reported by" the Arabic one), or the
    Arabic report (an earlier English report of the event, and a later one)."""
    return _english() if language == "en" else _arabic()
