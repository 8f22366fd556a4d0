"""Rule queries: boolean expressions over watchlist entities and terms (see parse_rule)."""

from __future__ import annotations


def parse_rule(query: str) -> object:
    """Parse a rule query; raises ValueError naming what is wrong and where."""
    raise ValueError("rules are not supported yet")
