"""Load and validate config.yaml.

Every problem is reported with the file and the key path, e.g.
``config.yaml: sources[2].every: '5 minutes' is not a duration (use 5m)``, and all problems
are reported at once. Unknown keys are errors. ``${VAR}`` and ``${VAR:-default}`` in string
values are expanded from the environment; ``$$`` is a literal ``$``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from .channels import _channels, _Known
from .model import (
    CHANNEL_MODES,
    DEFAULT_CONFIG,
    DEFAULT_USER_AGENT,
    EMAIL_SECURITY,
    ROUTABLE_KINDS,
    SOURCE_KINDS,
    WATCHLIST_KINDS,
    WATCHLIST_SECTIONS,
    ArticleSelectors,
    Channel,
    Config,
    EmailChannel,
    Entity,
    FetchSettings,
    Retention,
    Routing,
    Rule,
    SlackChannel,
    Source,
    StatusSettings,
    StorySettings,
    WebhookChannel,
)
from .sections import _TOP_KEYS, _fetch_settings, _sections, _sources
from .values import _Checker, _nonempty_text, expand_env, parse_duration, parse_pause, parse_size
from .watchlist import _rules, _watchlist

__all__ = [
    "CHANNEL_MODES",
    "DEFAULT_CONFIG",
    "DEFAULT_USER_AGENT",
    "EMAIL_SECURITY",
    "ROUTABLE_KINDS",
    "SOURCE_KINDS",
    "WATCHLIST_KINDS",
    "WATCHLIST_SECTIONS",
    "ArticleSelectors",
    "Channel",
    "Config",
    "EmailChannel",
    "Entity",
    "FetchSettings",
    "Retention",
    "Routing",
    "Rule",
    "SlackChannel",
    "Source",
    "StatusSettings",
    "StorySettings",
    "WebhookChannel",
    "expand_env",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_pause",
    "parse_size",
    "resolve_path",
]


def resolve_path(path: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
                 ) -> Path:
    """-c wins, then $MONITOR_CONFIG, then ./config.yaml."""
    env = os.environ if env is None else env
    return Path(path or env.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


def load_config(path: str | os.PathLike[str] | None = None,
                env: Mapping[str, str] | None = None, *, reading: bool = False) -> Config:
    """Read, expand and validate a config file. Raises ConfigError listing every problem.

    `reading=True` is for the commands that only read the database (hits, search, show,
    sources, status ...): they use `database:`, `sources:` and `watchlists:` only, so the
    other sections (alerts and their secrets, fetch, status, retention, stories) are not
    expanded or built, and an unset ${VAR} leaves its key at the default."""
    env = os.environ if env is None else env
    file = resolve_path(path, env)
    label = str(path) if path else str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{label}: file not found (pass -c FILE or set MONITOR_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{label}: cannot read: {exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{label}: not valid YAML{where}: {problem}") from None
    return parse_config(raw, file, label, env, reading=reading)


def parse_config(raw: Any, file: Path, label: str, env: Mapping[str, str], *,
                 reading: bool = False) -> Config:
    c = _Checker(label, env, lenient_env=reading)
    top = c.mapping(raw, "", _TOP_KEYS) if raw is not None else {}
    if raw is None:
        c.error("", "is empty")
    defaults = c.mapping(top.get("defaults"), "defaults", ("every",))
    default_every = c.get(defaults, "every", "defaults", parse_duration, 900.0)
    database = c.get(top, "database", "", _nonempty_text, "monitor.db")
    fetch = FetchSettings() if reading else _fetch_settings(c, top.get("fetch"))
    sources = _sources(c, top, default_every)
    watchlist = _watchlist(c, top.get("watchlists"))
    rules = _rules(c, top.get("watchlists"))
    known = _Known(entities=tuple(e.name for e in watchlist) + tuple(r.name for r in rules),
                   sources=tuple(s.name for s in sources))
    channels, disabled = ((), ()) if reading else _channels(c, top, known)
    sections = {} if reading else _sections(c, top)
    if c.problems:
        raise ConfigError(c.problems)
    db_path = Path(database).expanduser()
    if not db_path.is_absolute():
        db_path = file.resolve().parent / db_path
    return Config(path=file, database=db_path, fetch=fetch, sources=sources,
                  watchlist=watchlist, channels=channels, rules=rules,
                  disabled_channels=disabled, **sections)
