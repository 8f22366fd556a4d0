"""Load and validate config.yaml.

Every problem is reported with the file and the key path, e.g.
``config.yaml: sources[2].every: '5 minutes' is not a duration (use 5m)``, and all problems
are reported at once. Unknown keys are errors. ``${VAR}`` and ``${VAR:-default}`` in string
values are expanded from the environment; ``$$`` is a literal ``$``.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import yaml

from . import __version__
from .errors import ConfigError

DEFAULT_CONFIG = "config.yaml"
DEFAULT_USER_AGENT = f"news-monitor/{__version__} (+https://github.com/news-monitor/news-monitor)"
SOURCE_KINDS = ("rss", "html", "sitemap")
EMAIL_SECURITY = ("none", "starttls", "tls")
WATCHLIST_KINDS = {"actors": "actor", "places": "place", "keywords": "keyword"}
WATCHLIST_SECTIONS = (*WATCHLIST_KINDS, "rules")

T = TypeVar("T")


# ---------------------------------------------------------------- the configuration


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0
    allow_private_addresses: bool = False
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    concurrency: int = 8
    per_host: int = 2
    delay: float = 1.0  # minimum seconds between two requests to one host (plus jitter)
    retries: int = 2  # extra attempts within one poll for retryable failures
    backoff_cap: float = 6 * 3600.0  # failing sources are polled less often, up to this
    down_after: float = 6 * 3600.0  # failing this long raises one "source down" alert
    robots_ttl: float = 6 * 3600.0  # how long a robots.txt is trusted


@dataclass(frozen=True)
class ArticleSelectors:
    """Per-source CSS selectors for outlets whose markup the user knows (first layer)."""

    title: str | None = None
    body: str | None = None
    date: str | None = None
    author: str | None = None
    drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    name: str
    kind: str  # rss | html
    url: str
    every: float  # seconds
    language: str | None = None
    links: str | None = None  # CSS selector for article links (html listing)
    link_pattern: str | None = None  # regex the absolute link URL must match
    fetch_articles: bool = True
    max_new_articles: int = 50
    enabled: bool = True
    article: ArticleSelectors | None = None
    timezone: str | None = None  # IANA name for pages that print local times without offset
    dateline: str | None = None  # regex for this outlet's dateline prefix
    # Domains article links may lead to; empty: the source's own registered domain.
    follow_domains: tuple[str, ...] = ()
    robots: bool = True  # honour robots.txt (false only with the outlet's permission)
    max_age: float = 2 * 86400.0  # sitemaps: only entries newer than this


@dataclass(frozen=True)
class Rule:
    """A boolean query over entities and terms, e.g. '"Maysan" AND (assassination OR clashes)'."""

    name: str
    query: str


@dataclass(frozen=True)
class Entity:
    """A watched actor, place or keyword. `aliases` includes the canonical name first."""

    name: str
    kind: str  # actor | place | keyword
    aliases: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    # Surname- or kunya-only forms ("Al-Sadr", "Khazali"): reported only when a full alias
    # of the same entity appears in the same article.
    short: tuple[str, ...] = ()


ROUTABLE_KINDS = ("actor", "keyword", "rule")  # a place alone never alerts
CHANNEL_MODES = ("immediate", "digest")


@dataclass(frozen=True)
class Routing:
    """What a channel receives and when. Empty filters mean "any"."""

    entities: tuple[str, ...] = ()  # canonical watchlist names or rule names
    kinds: tuple[str, ...] = ROUTABLE_KINDS
    sources: tuple[str, ...] = ()  # source names
    min_hits: int = 1  # matching hits (mentions) an article needs
    mode: str = "immediate"  # immediate | digest
    digest_every: float | None = None  # seconds, for `digest: 1h`
    digest_at: str | None = None  # "08:00", local time in `timezone`
    timezone: str = "UTC"
    max_per_minute: int = 20  # messages; the overflow goes out as one summary


@dataclass(frozen=True)
class SlackChannel:
    name: str
    webhook: str = field(repr=False)  # a secret: never logged
    timeout: float = 10.0
    kind: str = "slack"
    routing: Routing = Routing()


@dataclass(frozen=True)
class WebhookChannel:
    """A generic JSON webhook (Teams/Discord/Mattermost bridges, your own systems)."""

    name: str
    url: str = field(repr=False)  # may hold a token in its path or query: a secret
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # values are secrets
    timeout: float = 10.0
    kind: str = "webhook"
    routing: Routing = Routing()


@dataclass(frozen=True)
class EmailChannel:
    name: str
    host: str
    port: int
    security: str
    sender: str
    to: tuple[str, ...]
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 20.0
    kind: str = "email"
    routing: Routing = Routing()


Channel = SlackChannel | EmailChannel | WebhookChannel


@dataclass(frozen=True)
class StatusSettings:
    """The daemon's HTTP status endpoint (/healthz, /metrics); off unless `listen` is set."""

    listen: str | None = None  # "127.0.0.1:8321"

    @property
    def host_port(self) -> tuple[str, int] | None:
        if not self.listen:
            return None
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]") or "127.0.0.1", int(port)


@dataclass(frozen=True)
class Retention:
    """How long stored text is kept; None: forever."""

    bodies: float | None = 180 * 86400.0
    articles: float | None = None


@dataclass(frozen=True)
class StorySettings:
    window: float = 72 * 3600.0  # articles further apart than this are never one story


@dataclass(frozen=True)
class Config:
    path: Path
    database: Path
    fetch: FetchSettings
    sources: tuple[Source, ...]
    watchlist: tuple[Entity, ...]
    channels: tuple[Channel, ...]
    rules: tuple[Rule, ...] = ()
    status: StatusSettings = StatusSettings()
    retention: Retention = Retention()
    log_format: str = "text"  # text | json
    stories: StorySettings = StorySettings()
    # One line per channel that is configured but switched off (its variables are unset).
    disabled_channels: tuple[str, ...] = ()

    def entities(self, kind: str) -> list[Entity]:
        return [e for e in self.watchlist if e.kind == kind]


# ---------------------------------------------------------------- values


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def parse_duration(value: Any) -> float:
    """'90s', '15m', '6h', '1d', '250ms' -> seconds. Raises ValueError with a hint."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration (use 15m, 30s, 6h or 1d)")
    if isinstance(value, int | float):
        if value <= 0:
            raise ValueError(f"{value!r} is not a positive duration")
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise ValueError(f"{value!r} is not a duration (use 15m, 30s, 6h or 1d)")
    seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2)]
    if seconds <= 0:
        raise ValueError(f"{value!r} is not a positive duration")
    return seconds


def parse_pause(value: Any) -> float:
    """Like parse_duration, but 0 is allowed ('0s': no pause)."""
    zero = re.fullmatch(r"\s*0+(\.0*)?\s*(ms|s|m|h|d)?\s*", str(value))
    if zero and not isinstance(value, bool):
        return 0.0
    return parse_duration(value)


def parse_size(value: Any) -> int:
    """'10MB', '512kb', 1048576 -> bytes."""
    m = None if isinstance(value, bool) else _SIZE.match(str(value))
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"{value!r} is not a size (use 10MB, 512KB or a number of bytes)")
    return int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])


_ENV = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand_env(text: str, env: Mapping[str, str]) -> str:
    """Expand ${VAR} and ${VAR:-default}; '$$' is a literal '$'. Raises KeyError(VAR)."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name, default = m.group(1), m.group(2)
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                raise KeyError(name)
            return default
        return value

    return _ENV.sub(sub, text)


# ---------------------------------------------------------------- validation helpers


class _Checker:
    """Collects problems, each prefixed with the file and key path."""

    def __init__(self, file_label: str, env: Mapping[str, str]):
        self.file_label = file_label
        self.env = env
        self.problems: list[str] = []

    def error(self, path: str, message: str) -> None:
        where = f"{path}: " if path else ""
        self.problems.append(f"{self.file_label}: {where}{message}")

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        """Check `value` is a mapping whose keys are all in `allowed`."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error(path, f"must be a mapping of keys, got {_describe(value)}")
            return {}
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
                known = ", ".join(allowed)
                self.error(_join(path, str(key)),
                           f"unknown key{did_you_mean}; known keys here: {known}")
        return value

    def get(self, raw: dict[str, Any], key: str, path: str, convert: Callable[[Any], T],
            default: T, required: bool = False) -> T:
        where = _join(path, key)
        if key not in raw or raw[key] is None:
            if required:
                self.error(where, "is required")
            return default
        value = raw[key]
        if isinstance(value, str):
            try:
                value = expand_env(value, self.env)
            except KeyError as missing:
                self.error(where, f"environment variable {missing.args[0]} is not set "
                                  f"(write ${{{missing.args[0]}:-}} to make it optional)")
                return default
        try:
            return convert(value)
        except (ValueError, TypeError) as exc:
            self.error(where, str(exc))
            return default

    def items(self, raw: dict[str, Any], key: str, path: str) -> list[tuple[str, Any]]:
        """The elements of a list value, each with its path."""
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(_join(path, key), f"must be a list, got {_describe(value)}")
            return []
        return [(f"{_join(path, key)}[{i}]", item) for i, item in enumerate(value)]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _text(value: Any) -> str:
    if isinstance(value, bool | dict | list):
        raise ValueError(f"must be text, got {_describe(value)}")
    return str(value).strip()


def _nonempty_text(value: Any) -> str:
    text = _text(value)
    if not text:
        raise ValueError("must not be empty")
    return text


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0", ""):
        return False
    raise ValueError(f"{value!r} is not true or false")


def _positive_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if number <= 0:
        raise ValueError(f"{value!r} must be greater than 0")
    return number


def _count(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise ValueError(f"{value!r} must not be negative")
    return number


def _port(value: Any) -> int:
    number = _positive_int(value)
    if number > 65535:
        raise ValueError(f"{value!r} is not a port number (1-65535)")
    return number


def _http_url(value: Any) -> str:
    text = _nonempty_text(value)
    if not re.match(r"^https?://[^/\s]+", text, re.IGNORECASE):
        raise ValueError(f"{text!r} is not an http(s) URL")
    return text


def _one_of(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _text(value).lower()
        if text not in choices:
            raise ValueError(f"{value!r} is not one of: {', '.join(choices)}")
        return text

    return convert


def _text_list(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for i, item in enumerate(items):
        text = _text(item)
        if not text:
            raise ValueError(f"item {i} is empty")
        out.append(text)
    return tuple(out)


def _regex(value: Any) -> str:
    text = _nonempty_text(value)
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"{text!r} is not a valid regular expression: {exc}") from None
    return text


def _css_selector(value: Any) -> str:
    from selectolax.lexbor import LexborHTMLParser

    text = _nonempty_text(value)
    try:
        LexborHTMLParser("<p></p>").css(text)
    except Exception as exc:  # selectolax raises plain exceptions for bad selectors
        raise ValueError(f"{text!r} is not a valid CSS selector: {exc}") from None
    return text


# ---------------------------------------------------------------- sections


_TOP_KEYS = ("database", "fetch", "defaults", "sources", "watchlists", "alerts", "status",
             "retention", "log_format", "stories")
_FETCH_KEYS = ("user_agent", "timeout", "allow_private_addresses", "max_size", "max_redirects",
               "concurrency", "per_host", "delay", "retries", "backoff_cap", "down_after",
               "robots_ttl")
_SOURCE_KEYS = ("name", "kind", "url", "every", "language", "links", "link_pattern",
                "fetch_articles", "max_new_articles", "enabled", "article", "timezone",
                "dateline", "follow_domains", "robots", "max_age")
_SELECTOR_KEYS = ("title", "body", "date", "author", "drop")
_ROUTING_KEYS = ("entities", "kinds", "sources", "min_hits", "mode", "digest", "digest_at",
                 "timezone", "max_per_minute")
_SLACK_KEYS = ("kind", "name", "webhook", "timeout", *_ROUTING_KEYS)
_EMAIL_KEYS = ("kind", "name", "host", "port", "security", "username", "password", "from", "to",
               "timeout", *_ROUTING_KEYS)
_WEBHOOK_KEYS = ("kind", "name", "url", "headers", "timeout", *_ROUTING_KEYS)


def _fetch_settings(c: _Checker, raw: Any) -> FetchSettings:
    d = c.mapping(raw, "fetch", _FETCH_KEYS)
    base = FetchSettings()
    return FetchSettings(
        user_agent=c.get(d, "user_agent", "fetch", _nonempty_text, base.user_agent),
        timeout=c.get(d, "timeout", "fetch", parse_duration, base.timeout),
        allow_private_addresses=c.get(d, "allow_private_addresses", "fetch", _bool,
                                      base.allow_private_addresses),
        max_bytes=c.get(d, "max_size", "fetch", parse_size, base.max_bytes),
        max_redirects=c.get(d, "max_redirects", "fetch", _positive_int, base.max_redirects),
        concurrency=c.get(d, "concurrency", "fetch", _positive_int, base.concurrency),
        per_host=c.get(d, "per_host", "fetch", _positive_int, base.per_host),
        delay=c.get(d, "delay", "fetch", parse_pause, base.delay),
        retries=c.get(d, "retries", "fetch", _count, base.retries),
        backoff_cap=c.get(d, "backoff_cap", "fetch", parse_duration, base.backoff_cap),
        down_after=c.get(d, "down_after", "fetch", parse_duration, base.down_after),
        robots_ttl=c.get(d, "robots_ttl", "fetch", parse_duration, base.robots_ttl),
    )


def _listen(value: Any) -> str | None:
    text = _text(value)
    if not text:  # "${MONITOR_STATUS_LISTEN:-}" with the variable unset: endpoint off
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not host:port (e.g. 127.0.0.1:8321)")
    if not host:
        raise ValueError(f"{text!r} has no host; write 127.0.0.1:{port} to stay local")
    return text


def _keep_for(value: Any) -> float | None:
    if isinstance(value, str) and value.strip().lower() in ("never", "forever", "keep"):
        return None
    return parse_duration(value)


def _sections(c: _Checker, top: dict[str, Any]) -> dict[str, Any]:
    """The daemon-wide sections: status endpoint, retention, log format, stories."""
    st = c.mapping(top.get("status"), "status", ("listen",))
    rt = c.mapping(top.get("retention"), "retention", ("bodies", "articles"))
    sy = c.mapping(top.get("stories"), "stories", ("window",))
    base = Retention()
    return {
        "status": StatusSettings(listen=c.get(st, "listen", "status", _listen, None)),
        "retention": Retention(
            bodies=c.get(rt, "bodies", "retention", _keep_for, base.bodies),
            articles=c.get(rt, "articles", "retention", _keep_for, base.articles)),
        "log_format": c.get(top, "log_format", "", _one_of("text", "json"), "text"),
        "stories": StorySettings(window=c.get(sy, "window", "stories", parse_duration,
                                              StorySettings().window)),
    }


def _sources(c: _Checker, raw: dict[str, Any], default_every: float) -> tuple[Source, ...]:
    sources: list[Source] = []
    seen: dict[str, str] = {}
    for path, item in c.items(raw, "sources", ""):
        d = c.mapping(item, path, _SOURCE_KEYS)
        if not d:
            if item is not None and not isinstance(item, dict):
                continue
            c.error(path, "is empty; a source needs at least name, kind and url")
            continue
        name = c.get(d, "name", path, _nonempty_text, "", required=True)
        kind = c.get(d, "kind", path, _one_of(*SOURCE_KINDS), "rss", required=True)
        links = c.get(d, "links", path, _css_selector, None)
        pattern = c.get(d, "link_pattern", path, _regex, None)
        if kind == "html" and links is None and pattern is None and "links" not in d:
            c.error(path, "an html source needs 'links' (a CSS selector) or 'link_pattern'")
        if kind != "html" and links:
            c.error(path, "'links' applies to kind: html only")
        if kind == "rss" and pattern:
            c.error(path, "'link_pattern' applies to kind: html or sitemap only")
        if name in seen:
            c.error(f"{path}.name", f"{name!r} is already used by {seen[name]}")
        elif name:
            seen[name] = path
        sources.append(Source(
            name=name,
            kind=kind,
            url=c.get(d, "url", path, _http_url, "", required=True),
            every=c.get(d, "every", path, parse_duration, default_every),
            language=c.get(d, "language", path, _nonempty_text, None),
            links=links,
            link_pattern=pattern,
            fetch_articles=c.get(d, "fetch_articles", path, _bool, True),
            max_new_articles=c.get(d, "max_new_articles", path, _positive_int, 50),
            enabled=c.get(d, "enabled", path, _bool, True),
            article=_selectors(c, d.get("article"), f"{path}.article"),
            timezone=c.get(d, "timezone", path, _timezone, None),
            dateline=c.get(d, "dateline", path, _regex, None),
            follow_domains=tuple(x.lower().lstrip(".") for x in
                                 c.get(d, "follow_domains", path, _text_list, ())),
            robots=c.get(d, "robots", path, _bool, True),
            max_age=c.get(d, "max_age", path, parse_duration, 2 * 86400.0),
        ))
    return tuple(sources)


def _selectors(c: _Checker, raw: Any, path: str) -> ArticleSelectors | None:
    if raw is None:
        return None
    d = c.mapping(raw, path, _SELECTOR_KEYS)
    single = {key: c.get(d, key, path, _css_selector, None) for key in _SELECTOR_KEYS[:4]}
    drop = c.get(d, "drop", path, _text_list, ())
    for i, selector in enumerate(drop):
        try:
            _css_selector(selector)
        except ValueError as exc:
            c.error(f"{path}.drop[{i}]", str(exc))
    return ArticleSelectors(drop=drop, **single)


def _timezone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = _nonempty_text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone (use an IANA name such as "
                         "Asia/Baghdad)") from None
    return name


def _watchlist(c: _Checker, raw: Any) -> tuple[Entity, ...]:
    d = c.mapping(raw, "watchlists", WATCHLIST_SECTIONS)
    entities: list[Entity] = []
    for section, kind in WATCHLIST_KINDS.items():
        terms_key = "terms" if kind == "keyword" else "aliases"
        seen: dict[str, str] = {}
        for path, item in c.items(d, section, "watchlists"):
            if isinstance(item, str):  # shorthand: "- Maysan"
                item = {"name": item}
            allowed = ("name", terms_key, "exclude") + (() if kind == "keyword" else ("short",))
            e = c.mapping(item, path, allowed)
            name = c.get(e, "name", path, _nonempty_text, "", required=True)
            if not name:
                continue
            key = name.casefold()
            if key in seen:
                c.error(f"{path}.name", f"{name!r} is already listed at {seen[key]}")
                continue
            seen[key] = path
            extra = c.get(e, terms_key, path, _text_list, ())
            aliases = tuple(dict.fromkeys((name, *extra)))  # canonical first, no repeats
            if kind == "keyword" and extra:
                aliases = tuple(dict.fromkeys(extra))
            entities.append(Entity(name=name, kind=kind, aliases=aliases,
                                   exclude=c.get(e, "exclude", path, _text_list, ()),
                                   short=c.get(e, "short", path, _text_list, ())))
    return tuple(entities)


def _rules(c: _Checker, raw: Any) -> tuple[Rule, ...]:
    from .match.rules import parse_rule

    d = raw if isinstance(raw, dict) else {}
    rules: list[Rule] = []
    seen: set[str] = set()
    for path, item in c.items(d, "rules", "watchlists"):
        r = c.mapping(item, path, ("name", "query"))
        name = c.get(r, "name", path, _nonempty_text, "", required=True)
        query = c.get(r, "query", path, _nonempty_text, "", required=True)
        if name.casefold() in seen:
            c.error(f"{path}.name", f"{name!r} is already used by another rule")
        seen.add(name.casefold())
        if query:
            try:
                parse_rule(query)
            except ValueError as exc:
                c.error(f"{path}.query", str(exc))
                continue
        if name and query:
            rules.append(Rule(name=name, query=query))
    return tuple(rules)


def _channels(c: _Checker, raw: dict[str, Any], known: _Known | None = None
              ) -> tuple[tuple[Channel, ...], tuple[str, ...]]:
    channels: list[Channel] = []
    disabled: list[str] = []
    names: dict[str, str] = {}
    builders = {"slack": (_SLACK_KEYS, _slack), "email": (_EMAIL_KEYS, _email),
                "webhook": (_WEBHOOK_KEYS, _webhook)}
    for path, item in c.items(raw, "alerts", ""):
        if not isinstance(item, dict):
            c.mapping(item, path, ())
            continue
        kind = c.get(item, "kind", path, _one_of(*builders), "", required=True)
        if not kind:
            continue
        keys, build = builders[kind]
        d = c.mapping(item, path, keys)
        name = c.get(d, "name", path, _nonempty_text, kind)
        if name in names:
            c.error(f"{path}.name", f"channel name {name!r} is already used by {names[name]}; "
                                    "give each channel a distinct name")
        names[name] = path
        routing = _routing(c, d, path, known or _Known())
        channel, why_off = build(c, d, path, name)
        if channel is not None:
            channels.append(replace(channel, routing=routing))
        elif why_off:
            disabled.append(f"alert channel {name!r} ({kind}) is disabled: {why_off}")
    return tuple(channels), tuple(disabled)


@dataclass(frozen=True)
class _Known:
    """Names a routing filter may refer to (empty: not checked)."""

    entities: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


def _clock_time(value: Any) -> str:
    text = _nonempty_text(value)
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text)
    if not m:
        raise ValueError(f"{text!r} is not a time of day (use 24-hour HH:MM, e.g. \"08:00\")")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _check_names(c: _Checker, where: str, given: tuple[str, ...], known: tuple[str, ...],
                 what: str) -> tuple[str, ...]:
    """Filters name things case-insensitively; a typo would silently never match."""
    if not known:
        return given
    by_key = {k.casefold(): k for k in known}
    out = []
    for i, name in enumerate(given):
        if name.casefold() in by_key:
            out.append(by_key[name.casefold()])
            continue
        hint = difflib.get_close_matches(name, known, n=1)
        did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
        c.error(f"{where}[{i}]", f"{name!r} is not a {what}{did_you_mean}")
    return tuple(out)


def _routing(c: _Checker, d: dict[str, Any], path: str, known: _Known) -> Routing:
    base = Routing()
    entities = _check_names(c, f"{path}.entities", c.get(d, "entities", path, _text_list, ()),
                            known.entities, "watchlist entity or rule name")
    sources = _check_names(c, f"{path}.sources", c.get(d, "sources", path, _text_list, ()),
                           known.sources, "source name")
    kinds = c.get(d, "kinds", path, _text_list, base.kinds)
    for i, kind in enumerate(kinds):
        if kind not in ROUTABLE_KINDS:
            why = " (a place alone never alerts)" if kind == "place" else ""
            c.error(f"{path}.kinds[{i}]", f"{kind!r} is not one of: "
                                          f"{', '.join(ROUTABLE_KINDS)}{why}")
    every = c.get(d, "digest", path, parse_duration, None)
    at = c.get(d, "digest_at", path, _clock_time, None)
    scheduled = every is not None or at is not None
    mode = c.get(d, "mode", path, _one_of(*CHANNEL_MODES), "digest" if scheduled else "immediate")
    if mode == "digest" and not scheduled:
        c.error(f"{path}.mode", "digest needs 'digest: 1h' (an interval) or 'digest_at: "
                                "\"08:00\"' (a daily time)")
    if mode == "immediate" and scheduled:
        c.error(f"{path}.mode", "'digest'/'digest_at' apply to mode: digest only")
    if every is not None and at is not None:
        c.error(path, "set either 'digest' (an interval) or 'digest_at' (a daily time), not both")
    return Routing(
        entities=entities, kinds=tuple(dict.fromkeys(kinds)), sources=sources,
        min_hits=c.get(d, "min_hits", path, _positive_int, base.min_hits), mode=mode,
        digest_every=every, digest_at=at,
        timezone=c.get(d, "timezone", path, _timezone, base.timezone),
        max_per_minute=c.get(d, "max_per_minute", path, _positive_int, base.max_per_minute))


def _slack(c: _Checker, d: dict[str, Any], path: str, name: str
           ) -> tuple[SlackChannel | None, str]:
    webhook = c.get(d, "webhook", path, _text, "", required="webhook" not in d)
    timeout = c.get(d, "timeout", path, parse_duration, 10.0)
    if not webhook:
        return None, f"{path}.webhook is empty (set the variable it names, e.g. SLACK_WEBHOOK_URL)"
    if not re.match(r"^https?://", webhook):
        # Never echo the value: it is a secret.
        c.error(f"{path}.webhook", "is not an http(s) URL")
        return None, ""
    return SlackChannel(name=name, webhook=webhook, timeout=timeout), ""


def _headers(c: _Checker, raw: Any, path: str) -> tuple[tuple[str, str], ...]:
    """Header name -> value; values may use ${VAR} and are never echoed (they are secrets)."""
    where = _join(path, "headers")
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        c.error(where, f"must be a mapping of header names to values, got {_describe(raw)}")
        return ()
    out = []
    for key in raw:
        name = str(key).strip()
        if not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            c.error(f"{where}.{key}", "is not a valid HTTP header name")
            continue
        text = c.get(raw, key, where, _text, "")
        if any(ch in text for ch in "\r\n\0"):
            c.error(f"{where}.{name}", "must be one line")  # value not shown: a secret
            continue
        out.append((name, text))
    return tuple(out)


def _webhook(c: _Checker, d: dict[str, Any], path: str, name: str
             ) -> tuple[WebhookChannel | None, str]:
    url = c.get(d, "url", path, _text, "", required="url" not in d)
    timeout = c.get(d, "timeout", path, parse_duration, 10.0)
    headers = _headers(c, d.get("headers"), path)
    if not url:
        return None, f"{path}.url is empty (set the variable it names, e.g. WEBHOOK_URL)"
    if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
        c.error(f"{path}.url", "is not an http(s) URL")  # never echo it: it may hold a token
        return None, ""
    return WebhookChannel(name=name, url=url, headers=headers, timeout=timeout), ""


def _email(c: _Checker, d: dict[str, Any], path: str, name: str
           ) -> tuple[EmailChannel | None, str]:
    host = c.get(d, "host", path, _text, "", required="host" not in d)
    security = c.get(d, "security", path, _one_of(*EMAIL_SECURITY), "starttls")
    default_port = {"none": 25, "starttls": 587, "tls": 465}[security]
    port = c.get(d, "port", path, _port, default_port)
    username = c.get(d, "username", path, _text, "") or None
    password = c.get(d, "password", path, _text, "") or None
    sender = c.get(d, "from", path, _text, "")
    to = c.get(d, "to", path, _text_list, ())
    timeout = c.get(d, "timeout", path, parse_duration, 20.0)
    if not host:
        return None, f"{path}.host is empty (set the variable it names, e.g. SMTP_HOST)"
    if not sender:
        c.error(f"{path}.from", "is required when host is set")
    elif "@" not in sender:
        c.error(f"{path}.from", f"{sender!r} is not an email address")
    if not to:
        c.error(f"{path}.to", "needs at least one recipient when host is set")
    for i, rcpt in enumerate(to):
        if "@" not in rcpt:
            c.error(f"{path}.to[{i}]", f"{rcpt!r} is not an email address")
    if bool(username) != bool(password):
        c.error(path, "username and password go together: set both or neither")
    return EmailChannel(name=name, host=host, port=port, security=security, sender=sender,
                        to=to, username=username, password=password, timeout=timeout), ""


# ---------------------------------------------------------------- entry points


def resolve_path(path: str | os.PathLike[str] | None, env: Mapping[str, str] | None = None
                 ) -> Path:
    """-c wins, then $MONITOR_CONFIG, then ./config.yaml."""
    env = os.environ if env is None else env
    return Path(path or env.get("MONITOR_CONFIG") or DEFAULT_CONFIG)


def load_config(path: str | os.PathLike[str] | None = None,
                env: Mapping[str, str] | None = None) -> Config:
    """Read, expand and validate a config file. Raises ConfigError listing every problem."""
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
    return parse_config(raw, file, label, env)


def parse_config(raw: Any, file: Path, label: str, env: Mapping[str, str]) -> Config:
    c = _Checker(label, env)
    top = c.mapping(raw, "", _TOP_KEYS) if raw is not None else {}
    if raw is None:
        c.error("", "is empty")
    defaults = c.mapping(top.get("defaults"), "defaults", ("every",))
    default_every = c.get(defaults, "every", "defaults", parse_duration, 900.0)
    database = c.get(top, "database", "", _nonempty_text, "monitor.db")
    fetch = _fetch_settings(c, top.get("fetch"))
    sources = _sources(c, top, default_every)
    watchlist = _watchlist(c, top.get("watchlists"))
    rules = _rules(c, top.get("watchlists"))
    known = _Known(entities=tuple(e.name for e in watchlist) + tuple(r.name for r in rules),
                   sources=tuple(s.name for s in sources))
    channels, disabled = _channels(c, top, known)
    sections = _sections(c, top)
    if c.problems:
        raise ConfigError(c.problems)
    db_path = Path(database).expanduser()
    if not db_path.is_absolute():
        db_path = file.resolve().parent / db_path
    return Config(path=file, database=db_path, fetch=fetch, sources=sources,
                  watchlist=watchlist, channels=channels, rules=rules,
                  disabled_channels=disabled, **sections)
