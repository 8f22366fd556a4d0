"""Page metadata: JSON-LD article objects, <meta> tags, title, author, dates, language.

Most reliable first: the publisher's own JSON-LD, then Open Graph / article:* / <meta>,
then <time datetime>, then dates and bylines shown as text. Every date comes out as UTC
ISO 8601; a naive local time is read in the source's timezone (UTC when none is set).
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable
from datetime import UTC, tzinfo
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract.dates import parse_date
from monitor.extract.listing import clean_url

_ARTICLE_TYPES = frozenset({
    "newsarticle", "article", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "report",
})
_KNOWN_SITES = ("Shafaq News", "شفق نيوز", "The New Region", "New Region")
_TITLE_SPLIT = re.compile(r"^(?P<title>.*\S)\s+[-|–—:·•»]\s+(?P<site>[^-|–—]+?)\s*$")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LANG_NAMES = {"arabic": "ar", "english": "en", "kurdish": "ku", "persian": "fa",
               "farsi": "fa", "turkish": "tr"}
_PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished",
                   "pubdate", "publishdate", "publish-date", "date", "dc.date",
                   "dc.date.issued", "parsely-pub-date", "sailthru.date")
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified",
                  "last-modified", "dc.date.modified", "parsely-updated")
_DATE_HINT = re.compile(r"date|time|publish|posted|meta", re.IGNORECASE)


# --- JSON-LD -----------------------------------------------------------------------------

def jsonld_article(tree: LexborHTMLParser) -> dict[str, Any] | None:
    """The first article-typed object in any JSON-LD block; broken blocks are skipped."""
    for script in tree.css("script"):
        kind = (script.attributes.get("type") or "").lower()
        if not kind.startswith("application/ld+json"):
            continue
        text = script.text(deep=True, separator="").strip()
        # CMSs wrap JSON-LD in HTML comments or CDATA markers that json rejects.
        text = re.sub(r"^(?:<!--|//\s*<!\[CDATA\[)|(?:-->|//\s*\]\]>)$", "", text).strip()
        try:
            # strict=False: raw newlines inside articleBody strings are common.
            data = json.loads(text, strict=False)
        except ValueError:
            continue
        found = _find_article(data)
        if found is not None:
            return found
    return None


def _find_article(data: Any) -> dict[str, Any] | None:
    """Breadth-first, so a page's own article wins over one nested inside it."""
    queue: deque[Any] = deque([data])
    visited = 0
    while queue and visited < 2000:
        item = queue.popleft()
        visited += 1
        if isinstance(item, list):
            queue.extend(item)
        elif isinstance(item, dict):
            if _types(item) & _ARTICLE_TYPES:
                return item
            queue.extend(v for v in item.values() if isinstance(v, dict | list))
    return None


def _types(item: dict[str, Any]) -> set[str]:
    raw = item.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {v.rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str)}


def ld_str(value: Any) -> str | None:
    """A JSON-LD value as text: plain string, {"@value"/"name": ...}, or first of a list."""
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name") or value.get("alternateName")
    if isinstance(value, str | int | float) and str(value).strip():
        return " ".join(str(value).split())
    return None


def _ld_authors(ld: dict[str, Any]) -> str | None:
    raw = ld.get("author") or ld.get("creator")
    items = raw if isinstance(raw, list) else [raw]
    names = [ld_str(item) for item in items]
    names = [n for n in names if n and not n.startswith(("http://", "https://"))]
    return ", ".join(dict.fromkeys(names)) or None


# --- metadata ----------------------------------------------------------------------------

def meta_tags(tree: LexborHTMLParser) -> dict[str, str]:
    """<meta> content by lower-cased property / name / itemprop; the first one wins."""
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = " ".join((attrs.get("content") or "").split())
        if key and content:
            found.setdefault(key.strip().lower(), content)
    return found


def node_text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return " ".join(node.text(deep=True, separator=" ").split())


def title(tree: LexborHTMLParser, ld: dict[str, Any] | None, meta: dict[str, str],
          url: str) -> str | None:
    candidates = [
        ld_str(ld.get("headline")) if ld else None,
        meta.get("og:title"),
        node_text(tree.css_first("article h1") or tree.css_first("h1")),
        node_text(tree.css_first("title")),
    ]
    title = next((c for c in candidates if c), None)
    if title is None:
        return None
    publisher = ld_str((ld or {}).get("publisher"))
    return _strip_site_suffix(title, [meta.get("og:site_name"), publisher], url)


def _strip_site_suffix(title: str, names: list[str | None], url: str) -> str:
    """Drop a trailing " - Shafaq News" / " | The New Region" naming the site."""
    found = _TITLE_SPLIT.match(title)
    if not found:
        return title
    site = _compact(found.group("site"))
    known = {_compact(n) for n in [*names, *_KNOWN_SITES] if n}
    host = _compact(_host_label(url))
    named_site = site in known or (len(host) >= 4 and (host in site or site in host))
    return found.group("title") if named_site and site else title


def _compact(text: str) -> str:
    return re.sub(r"\W+", "", text).lower()


def _host_label(url: str) -> str:
    """"www.shafaq.com" -> "shafaq": the part of a host a site name usually contains."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return host.split(".")[0] if host else ""


def published(tree: LexborHTMLParser, ld: dict[str, Any] | None,
              meta: dict[str, str], tz: tzinfo = UTC) -> str | None:
    candidates: list[str | None] = []
    if ld:
        candidates += [ld_str(ld.get("datePublished")), ld_str(ld.get("dateCreated"))]
    candidates += [meta.get(key) for key in _PUBLISHED_META]
    candidates += [n.attributes.get("datetime") for n in
                   tree.css("article time[datetime], [itemprop=datePublished][datetime], "
                            "time[datetime]")]
    for candidate in candidates:
        found = parse_date(candidate, tz)
        if found:
            return found
    return _visible_date(tree, tz)


def modified(tree: LexborHTMLParser, ld: dict[str, Any] | None,
             meta: dict[str, str], tz: tzinfo = UTC) -> str | None:
    """Last update time; corrections often add names, so analysts want to see it."""
    candidates = [ld_str((ld or {}).get("dateModified"))]
    candidates += [meta.get(key) for key in _MODIFIED_META]
    node = tree.css_first("[itemprop=dateModified]")
    if node is not None:
        candidates += [node.attributes.get("datetime"), node.attributes.get("content")]
    for candidate in candidates:
        found = parse_date(candidate, tz)
        if found:
            return found
    return None


def _visible_date(tree: LexborHTMLParser, tz: tzinfo) -> str | None:
    """Dates shown only as text, e.g. "Jan. 03, 2026 • 3 min read" near the headline.

    Elements named like dates are tried first, then any short line in the article:
    sites style the dateline with utility classes ("text-muted") that name nothing.
    """
    scopes = [s for s in (tree.css_first("article"), tree.body) if s is not None]
    for scope in scopes:
        found = _first_date((n for n in scope.css("time, [class], [id]") if _date_named(n)),
                            tz)
        if found:
            return found
    for scope in scopes:
        found = _first_date(scope.css("time, span, small, div, p, li"), tz, max_chars=60)
        if found:
            return found
    return None


def _date_named(node: LexborNode) -> bool:
    hint = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
    return node.tag == "time" or bool(_DATE_HINT.search(hint))


def _first_date(nodes: Iterable[LexborNode], tz: tzinfo,
                max_chars: int = 120) -> str | None:
    for node in nodes:
        text = node_text(node)
        found = parse_date(text, tz) if 0 < len(text) <= max_chars else None
        if found:
            return found
    return None


def author(tree: LexborHTMLParser, ld: dict[str, Any] | None,
           meta: dict[str, str]) -> str | None:
    if ld and (names := _ld_authors(ld)):
        return names
    for key in ("author", "article:author", "dc.creator", "parsely-author"):
        value = meta.get(key)
        if value and not value.startswith(("http://", "https://")):
            return value
    for node in tree.css("[rel=author], [itemprop=author], .byline, .author-name, .author"):
        text = re.sub(r"^(?:by|بقلم|كتب)[:\s]+", "", node_text(node), flags=re.IGNORECASE)
        if 0 < len(text) <= 80:
            return text
    return None


def canonical(tree: LexborHTMLParser, ld: dict[str, Any] | None,
              meta: dict[str, str], url: str) -> str | None:
    link = tree.css_first("link[rel~=canonical][href]")
    main_entity = (ld or {}).get("mainEntityOfPage")
    candidates = [
        link.attributes.get("href") if link is not None else None,
        meta.get("og:url"),
        ld_str((ld or {}).get("url")),
        main_entity.get("@id") if isinstance(main_entity, dict) else ld_str(main_entity),
    ]
    for candidate in candidates:
        cleaned = clean_url(candidate, url) if candidate else None
        if cleaned:
            return cleaned
    return None


def language(tree: LexborHTMLParser, ld: dict[str, Any] | None, meta: dict[str, str],
             text: str) -> str | None:
    html_node = tree.css_first("html")
    candidates = [
        ld_str((ld or {}).get("inLanguage")),
        html_node.attributes.get("lang") if html_node is not None else None,
        meta.get("og:locale"),
    ]
    for candidate in candidates:
        code = _language_code(candidate)
        if code:
            return code
    return _script_language(text)


def _language_code(value: str | None) -> str | None:
    """"ar-IQ", "en_US", "Arabic" -> "ar", "en", "ar"; the matcher needs the base language."""
    if not value or not value.strip():
        return None
    value = value.strip().lower()
    if value in _LANG_NAMES:
        return _LANG_NAMES[value]
    primary = re.split(r"[-_]", value)[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def _script_language(text: str) -> str | None:
    arabic = len(_ARABIC.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic and arabic >= latin:
        return "ar"
    return "en" if latin else None


