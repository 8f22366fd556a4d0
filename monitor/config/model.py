"""The configuration as the rest of the program sees it: frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__

DEFAULT_CONFIG = "config.yaml"
DEFAULT_USER_AGENT = f"news-monitor/{__version__} (+https://github.com/news-monitor/news-monitor)"
SOURCE_KINDS = ("rss", "html", "sitemap")
EMAIL_SECURITY = ("none", "starttls", "tls")
WATCHLIST_KINDS = {"actors": "actor", "places": "place", "keywords": "keyword"}
WATCHLIST_SECTIONS = (*WATCHLIST_KINDS, "rules")



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
    max_crawl_delay: float = 30.0  # a robots.txt Crawl-delay is honoured up to this


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
    # Titles ("Prime Minister", "رئيس الوزراء"): a surname (a short form, or the last name
    # token of an alias) right after one counts as this actor without the full name.
    titles: tuple[str, ...] = ()
    # Actors only: "person" or "group" (alerts list people before groups); "" unset.
    type: str = ""


ACTOR_TYPES = ("person", "group")
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
    # Under `monitor run`, a new story's first alert waits this long (seconds, from when its
    # first report was stored) so that near-simultaneous reports go in the same message.
    gather: float = 120.0


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
class MatchSettings:
    cross_script: bool = True  # Latin names in Arabic text and back (match/crossscript.py)


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
    matching: MatchSettings = MatchSettings()
    # One line per channel that is configured but switched off (its variables are unset).
    disabled_channels: tuple[str, ...] = ()

    def entities(self, kind: str) -> list[Entity]:
        return [e for e in self.watchlist if e.kind == kind]

    def people(self) -> frozenset[str]:
        """Casefolded names of the actors marked `type: person` (alerts list them first)."""
        return frozenset(e.name.casefold() for e in self.watchlist if e.type == "person")
