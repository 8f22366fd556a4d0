"""Plain data passed between pipeline stages. No stage imports another stage's internals;
they exchange these records."""

from __future__ import annotations

from dataclasses import dataclass, field

# Kinds that make an article worth an alert on their own; a place alone is context.
ALERTING_KINDS = frozenset({"actor", "keyword", "rule"})

# What a match's `how` may say, firmest first: the text is the alias as configured; equal
# after normalize(); equal after transliteration folding (variants.py); an Arabic-script alias
# found in Latin script or the reverse; a name form licensed by a title ("Sheikh Qais"); a
# short form (bare surname) licensed by a full name in the same article.
HOW_VALUES = ("exact", "normalised", "variant", "transliterated", "title", "short form")


@dataclass(frozen=True)
class FeedEntry:
    """One item of an RSS/Atom feed or one link found on an HTML listing page."""

    url: str
    title: str | None = None
    published: str | None = None  # UTC ISO 8601
    author: str | None = None
    summary: str | None = None  # plain text


@dataclass(frozen=True)
class ExtractedArticle:
    """What the extractor found in an article page. Missing fields are None."""

    title: str | None
    body: str
    method: str  # which layer produced the body: selectors | jsonld | generic | text
    author: str | None = None
    published: str | None = None  # UTC ISO 8601
    language: str | None = None
    canonical_url: str | None = None
    modified: str | None = None  # UTC ISO 8601
    dateline: str | None = None  # e.g. "Shafaq News – Erbil": kept in the body, named here
    # Share of the body's characters in paragraphs that are the text of a link on the page:
    # near 1 for a listing or home page, whose "body" is its headlines.
    link_share: float = 0.0


@dataclass(frozen=True)
class Match:
    """One watchlist mention. `start`/`end` index the text that was matched, as given.
    `how`: one of HOW_VALUES; `via`: the alias as configured that matched (a rule's query
    for kind "rule")."""

    entity: str  # canonical name
    kind: str  # actor | place | keyword | rule
    text: str  # the text as it appears
    start: int
    end: int
    how: str = "exact"  # exact | normalised | variant
    via: str = ""


@dataclass(frozen=True)
class Hit:
    """A match as stored: with the sentence around it (`how`, `via`: see Match)."""

    entity: str
    kind: str
    matched_text: str
    start: int
    end: int
    snippet: str
    how: str = "exact"
    field: str = "body"  # which text the offsets index: "title" or "body"
    via: str = ""


@dataclass
class Article:
    """An article ready to be stored."""

    url: str
    source: str
    title: str | None
    body: str
    fetched: str
    author: str | None = None
    published: str | None = None
    language: str | None = None
    method: str | None = None
    canonical_url: str | None = None
    modified: str | None = None
    dateline: str | None = None
    encoding: str | None = None  # the codec the page was decoded with, e.g. "cp1256"
    encoding_source: str | None = None  # bom | header | meta | default | detected
    hits: list[Hit] = field(default_factory=list)
