"""The watchlist as tables, for SQL alone: `watch_entities`, `watch_aliases`, `places`.

Written when a Pipeline is made (`monitor once`, the daemon's start and each reload), in
one transaction, so Datasette's canned queries and plain SQL can accept any alias of an
entity in any case (`alias_key` is the alias with its ASCII letters lowered, as SQLite's
`lower()` lowers the parameter), and place hits can be drawn on a map (`places`: the
shipped coordinates of monitor/data/place_coordinates.yaml, GeoNames).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from ..config import Entity

if TYPE_CHECKING:  # the worker processes import the store's package, not sqlite_utils
    from sqlite_utils import Database

__all__ = ["alias_key", "place_coordinates", "sync_watchlist"]


def alias_key(alias: str) -> str:
    """`alias` as SQLite's lower(trim(x)) sees it: ASCII letters lowered, nothing else."""
    return "".join(c.lower() if c.isascii() else c for c in alias.strip())


@lru_cache(maxsize=1)
def place_coordinates() -> dict[str, dict[str, Any]]:
    """Shipped coordinates by place name (see scripts/place_coordinates.py)."""
    text = resources.files("monitor.data").joinpath("place_coordinates.yaml").read_text(
        encoding="utf-8")
    return yaml.safe_load(text)["places"]


def sync_watchlist(db: Database, entities: Iterable[Entity]) -> None:
    """Replace the watchlist tables' rows with `entities`, in one transaction."""
    entities = list(entities)
    aliases = {(alias_key(a), e.name): a for e in entities
               for a in (e.name, *e.aliases, *e.short)}
    coordinates = place_coordinates()
    places = [(e.name, c["latitude"], c["longitude"], c["how"]) for e in entities
              if e.kind == "place" and (c := coordinates.get(e.name))]
    with db.conn:
        db.execute("DELETE FROM watch_entities")
        db.execute("DELETE FROM watch_aliases")
        db.execute("DELETE FROM places")
        db.conn.executemany("INSERT INTO watch_entities (name, kind) VALUES (?, ?)",
                            [(e.name, e.kind) for e in entities])
        db.conn.executemany(
            "INSERT INTO watch_aliases (alias_key, entity, alias) VALUES (?, ?, ?)",
            [(key, entity, alias) for (key, entity), alias in aliases.items()])
        db.conn.executemany(
            "INSERT INTO places (name, latitude, longitude, located) VALUES (?, ?, ?, ?)",
            places)
