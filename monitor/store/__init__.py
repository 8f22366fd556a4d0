"""Storage stage: the SQLite file (schema in `migrations.py`, documented in the README)."""

from .store import Poll, SourceState, Store, content_hash

__all__ = ["Poll", "SourceState", "Store", "content_hash"]
