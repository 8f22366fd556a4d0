"""Storage stage: the SQLite file (schema in `migrations.py`, documented in the README)."""

from .store import PendingDelivery, SourceState, Store, content_hash

__all__ = ["PendingDelivery", "SourceState", "Store", "content_hash"]
