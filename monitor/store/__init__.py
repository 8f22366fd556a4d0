"""Storage stage: the SQLite file (schema in `migrations.py`, documented in the README)."""

from .store import PendingDelivery, Poll, SourceState, Store, content_hash

__all__ = ["PendingDelivery", "Poll", "SourceState", "Store", "content_hash"]
