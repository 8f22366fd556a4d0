"""What the read-only commands share: where the database is, and names resolved.

The analyst commands (hits, search, stories, show, export, sources, status) only read the
SQLite file. `--db PATH` names it directly, sqlite-utils style, and then no config is read
at all unless `-c` is also given; without `--db` the config is read in its lenient
"reading" mode (see monitor.config.load_config), so an alert secret unset in the analyst's
shell does not stop a query.

`--entity` and `--source` take any alias in any case and resolve it to the stored
canonical name; an unknown name is an error with a "did you mean". The names come from the
config when one is read, else from the tables the daemon writes (`watch_entities`,
`watch_aliases`, `sources`), and always also from what the database holds (an entity
since dropped from the watchlist is still found under its old name).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .errors import MonitorError

if TYPE_CHECKING:
    from .config import Config
    from .store import Store

F = TypeVar("F", bound=Callable[..., Any])

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False), default=None,
    help="The SQLite file to read (default: the config's `database:`); with --db and no -c "
         "no config is read.")


@dataclass(frozen=True)
class Reading:
    """A read-only command's database and, when one was read, its config."""

    database: Path
    config: Config | None

    def open(self) -> Store:
        from .store import Store

        if not self.database.exists():
            hint = ("check --db" if self.config is None else "run `monitor once` first")
            raise MonitorError(f"no database at {self.database} ({hint})")
        return Store(self.database)


def reading(config_path: str | None, db_path: str | None) -> Reading:
    """The database to read: --db if given (with the config only if -c is given too), else
    the config's `database:` (config read leniently)."""
    from .config import load_config

    if db_path is not None:
        config = load_config(config_path, reading=True) if config_path else None
        return Reading(Path(db_path).expanduser(), config)
    config = load_config(config_path, reading=True)
    return Reading(config.database, config)


def with_reading(func: F) -> F:
    """Replace a command's `config_path`/`db_path` parameters by one `reading: Reading`."""

    @wraps(func)
    def wrapper(*args: Any, config_path: str | None = None, db_path: str | None = None,
                **kwargs: Any) -> Any:
        return func(*args, reading=reading(config_path, db_path), **kwargs)

    return wrapper  # type: ignore[return-value]


# ---------------------------------------------------------------- names


def _pairs_from_config(config: Config) -> list[tuple[str, str]]:
    """(name or alias, canonical name) for every watched entity and rule."""
    pairs = [(n, e.name) for e in config.watchlist for n in (e.name, *e.aliases, *e.short)]
    return pairs + [(r.name, r.name) for r in config.rules]


def _pairs_from_store(store: Store) -> list[tuple[str, str]]:
    rows = store.query("SELECT alias, entity FROM watch_aliases UNION "
                       "SELECT name, name FROM watch_entities")
    return [(r["alias"], r["entity"]) for r in rows]


def _resolve(given: str, pairs: Iterable[tuple[str, str]], what: str, option: str,
             stored: Callable[[], Iterable[str]] | None = None) -> str:
    """The canonical name `given` (any case, or an alias) stands for. `stored`: the names
    the database holds, read only when the watchlist's names do not resolve `given` (the
    scan of a million hits would cost every query ~100 ms for nothing)."""
    pairs = list(pairs)
    key = given.strip().casefold()
    canonical = {c for c in (c for _, c in pairs) if c.casefold() == key}
    if len(canonical) == 1:
        return canonical.pop()
    by_alias = sorted({c for n, c in pairs if n.casefold() == key})
    if len(by_alias) == 1:
        return by_alias[0]
    if not by_alias and stored is not None:  # a name no longer watched, still in the data
        return _resolve(given, [*pairs, *((n, n) for n in stored())], what, option)
    if len(by_alias) > 1:
        raise click.BadParameter(f"{given!r} is an alias of {len(by_alias)} {what}s: "
                                 f"{', '.join(by_alias)}; give the one you mean",
                                 param_hint=option)
    names = sorted({n for n, _ in pairs})
    hint = difflib.get_close_matches(given, names, n=1, cutoff=0.6) or difflib.get_close_matches(
        given.casefold(), [n.casefold() for n in names], n=1, cutoff=0.6)
    if hint:
        suggestion = next((c for n, c in pairs if n.casefold() == hint[0].casefold()), hint[0])
        did_you_mean = f" (did you mean {suggestion!r}?)"
    else:
        did_you_mean = f"; see `monitor {'sources' if what == 'source' else 'check'}`"
    raise click.BadParameter(f"{given!r} is not a known {what}{did_you_mean}",
                             param_hint=option)


def resolve_entity(store: Store, config: Config | None, given: str | None,
                   option: str = "--entity") -> str | None:
    """`given` as the canonical entity name hits are stored under (None stays None)."""
    if given is None:
        return None
    pairs = _pairs_from_config(config) if config else _pairs_from_store(store)
    return _resolve(given, pairs, "watched name", option, lambda: (
        r["entity"] for r in store.query("SELECT DISTINCT entity FROM hits")))


def resolve_source(store: Store, config: Config | None, given: str | None,
                   option: str = "--source") -> str | None:
    """`given` as the source name articles are stored under (None stays None)."""
    if given is None:
        return None
    names = {s.name for s in config.sources} if config else set()
    names |= {r["name"] for r in store.query("SELECT name FROM sources")}
    return _resolve(given, ((n, n) for n in names), "source", option, lambda: (
        r["source"] for r in store.query("SELECT DISTINCT source FROM articles")))
