"""Counts in sentences people read: "1 article", "2 articles" (never "1 articles")."""

from __future__ import annotations


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 entry', '0 entries', '1,204 articles'."""
    word = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:,} {word}"
