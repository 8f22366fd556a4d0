"""Dateline prefixes ("Shafaq News – Erbil", "ERBIL, Kurdistan Region of Iraq -").

A dateline stays in the body - the place it names must still be matched - and is also
reported as ExtractedArticle.dateline. Outlets differ only in data: the patterns below,
plus a source's own `dateline:` regex from config.yaml, which is tried first. Adding an
outlet means adding a pattern here (or in its config), never a code path.

Each pattern is re.match'ed at the start of the body. If it has a group named
"dateline", that group is the dateline text; else the whole match, with trailing
separators and spaces removed.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["DEFAULT_DATELINES", "find_dateline"]

# Where the place ends: end of line, or a separator before the story starts.
_END = r"(?=\s*(?:\n|$|[,:–—-]))"
_PLACE = r"[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}"
_AR_WORDS = r"[\u0600-\u06ff]+(?:\s+[\u0600-\u06ff]+){0,2}"
_AR_AGENCIES = r"شفق نيوز|واع|السومرية نيوز|بغداد اليوم|المدى|الغد برس|رووداو|كوردستان24"

# --- DATA: default dateline patterns, most specific first -------------------------------------
DEFAULT_DATELINES: tuple[str, ...] = (
    # Shafaq News (English): "Shafaq News – Erbil", "Shafaq News/ Baghdad".
    rf"(?P<dateline>Shafaq News\s*[–—/-]\s*{_PLACE}){_END}",
    # Agency with no place: "Shafaq News/ The Iraqi parliament ..." -> "Shafaq News".
    r"(?P<dateline>Shafaq News|Kurdistan24|Rudaw|INA)\s*[–—/]",
    # Arabic agency then place: "شفق نيوز – بغداد", "شفق نيوز/ أربيل".
    rf"(?P<dateline>(?:{_AR_AGENCIES})\s*[–—/-]\s*{_AR_WORDS}?)(?=\s*(?:\n|$|[،,:–—-]))",
    # Arabic place then agency: "بغداد - واع", "أربيل/ شفق نيوز".
    rf"(?P<dateline>{_AR_WORDS}\s*[–—/-]\s*\(?(?:{_AR_AGENCIES})\)?)",
    # Wire style: "BAGHDAD (Reuters) -", "Erbil (AFP) –".
    r"(?P<dateline>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,2},?\s*\([A-Za-z0-9 .]{2,20}\))"
    r"\s*[–—-]",
    # Capitalised place, optional region: "ERBIL, Kurdistan Region of Iraq -",
    # "ERBIL, Kurdistan Region –", "BAGHDAD -".
    r"(?P<dateline>[A-Z][A-Z'’.-]{2,}(?:\s+[A-Z][A-Z'’.-]{2,}){0,2}"
    r"(?:,\s*[A-Z][\w'’.]*(?:\s+(?:of|the|[A-Z][\w'’.]*)){0,5})?)\s+[–—-]\s",
)
# --- end of data -------------------------------------------------------------------------------


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def find_dateline(body: str, source_pattern: str | None = None) -> str | None:
    """The dateline at the start of `body`, or None. The source's own pattern wins."""
    head = body.lstrip()[:200]
    patterns = ((source_pattern,) if source_pattern else ()) + DEFAULT_DATELINES
    for pattern in patterns:
        found = _compiled(pattern).match(head)
        if found:
            text = found.groupdict().get("dateline") or found.group(0)
            text = text.strip().rstrip("–—-/:,").strip()
            if text:
                return text
    return None
