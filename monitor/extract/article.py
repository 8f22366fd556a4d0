"""Article page HTML -> title, body text and metadata.

Layered, most reliable first: the publisher's own JSON-LD, then page metadata
(Open Graph, <meta>, <time>), then the DOM. The body must hold only the article's own
text: a "Most Read" sidebar naming other people would otherwise raise false alerts, so
boilerplate is cut away before any paragraph is read.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.errors import ExtractError
from monitor.extract.dates import parse_date
from monitor.extract.listing import clean_url
from monitor.models import ExtractedArticle

__all__ = ["extract_article"]

_ARTICLE_TYPES = frozenset({
    "newsarticle", "article", "reportagenewsarticle", "blogposting", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "report",
})
_SUBSTANTIAL = 200  # shorter JSON-LD articleBody is a teaser, not the article
_MIN_CONTAINER = 80  # an <article> with less text is a card or an empty shell
_BLOCKS = "p, h2, h3, h4, li, blockquote"
_NOISE_TAGS = ("script, style, noscript, template, svg, iframe, nav, header, footer, aside, "
               "form, button, select, figcaption")
# Matched against each class / id token, bounded by start, end, "-" or "_", so that
# "post-share" or "widget_most-read" match but "shared" or "thread-title" do not.
_NOISE_WORDS = re.compile(
    r"(?:^|[-_])(?:share|sharing|social|related|most[-_]?read|mostread|popular|trending"
    r"|newsletter|subscribe|subscription|comments?|cookies?|consent|sidebar|promo|promoted"
    r"|tags?|breadcrumbs?|ads?|advert\w*|sponsored|meta|byline)(?:[-_]|$)",
    re.IGNORECASE,
)
_KNOWN_SITES = ("Shafaq News", "شفق نيوز", "The New Region", "New Region")
_TITLE_SPLIT = re.compile(r"^(?P<title>.*\S)\s+[-|–—:·•»]\s+(?P<site>[^-|–—]+?)\s*$")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LANG_NAMES = {"arabic": "ar", "english": "en", "kurdish": "ku", "persian": "fa",
               "farsi": "fa", "turkish": "tr"}
_PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished",
                   "pubdate", "publishdate", "publish-date", "date", "dc.date",
                   "dc.date.issued", "parsely-pub-date", "sailthru.date")
_DATE_HINT = re.compile(r"date|time|publish|posted|meta", re.IGNORECASE)


def extract_article(html: str, url: str) -> ExtractedArticle:
    """Extract one article; raises ExtractError only when no body text exists at all."""
    tree = LexborHTMLParser(html)
    ld = _jsonld_article(tree)
    meta = _meta_tags(tree)
    # Metadata first: body extraction removes header/nav nodes that hold bylines and dates.
    title = _title(tree, ld, meta, url)
    published = _published(tree, ld, meta)
    author = _author(tree, ld, meta)
    canonical = _canonical(tree, ld, meta, url)
    body, method = _body(tree, ld)
    return ExtractedArticle(
        title=title,
        body=body,
        method=method,
        author=author,
        published=published,
        language=_language(tree, ld, meta, f"{title or ''} {body}"),
        canonical_url=canonical,
    )


# --- JSON-LD -----------------------------------------------------------------------------

def _jsonld_article(tree: LexborHTMLParser) -> dict[str, Any] | None:
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


def _ld_str(value: Any) -> str | None:
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
    names = [_ld_str(item) for item in items]
    names = [n for n in names if n and not n.startswith(("http://", "https://"))]
    return ", ".join(dict.fromkeys(names)) or None


# --- metadata ----------------------------------------------------------------------------

def _meta_tags(tree: LexborHTMLParser) -> dict[str, str]:
    """<meta> content by lower-cased property / name / itemprop; the first one wins."""
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attrs = node.attributes
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
        content = " ".join((attrs.get("content") or "").split())
        if key and content:
            found.setdefault(key.strip().lower(), content)
    return found


def _node_text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return " ".join(node.text(deep=True, separator=" ").split())


def _title(tree: LexborHTMLParser, ld: dict[str, Any] | None, meta: dict[str, str],
           url: str) -> str | None:
    candidates = [
        _ld_str(ld.get("headline")) if ld else None,
        meta.get("og:title"),
        _node_text(tree.css_first("article h1") or tree.css_first("h1")),
        _node_text(tree.css_first("title")),
    ]
    title = next((c for c in candidates if c), None)
    if title is None:
        return None
    publisher = _ld_str((ld or {}).get("publisher"))
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


def _published(tree: LexborHTMLParser, ld: dict[str, Any] | None,
               meta: dict[str, str]) -> str | None:
    candidates: list[str | None] = []
    if ld:
        candidates += [_ld_str(ld.get("datePublished")), _ld_str(ld.get("dateCreated"))]
    candidates += [meta.get(key) for key in _PUBLISHED_META]
    candidates += [n.attributes.get("datetime") for n in
                   tree.css("article time[datetime], [itemprop=datePublished][datetime], "
                            "time[datetime]")]
    for candidate in candidates:
        found = parse_date(candidate)
        if found:
            return found
    return _visible_date(tree)


def _visible_date(tree: LexborHTMLParser) -> str | None:
    """Dates shown only as text, e.g. "Jan. 03, 2026 • 3 min read" near the headline.

    Elements named like dates are tried first, then any short line in the article:
    sites style the dateline with utility classes ("text-muted") that name nothing.
    """
    scopes = [s for s in (tree.css_first("article"), tree.body) if s is not None]
    for scope in scopes:
        found = _first_date(n for n in scope.css("time, [class], [id]") if _date_named(n))
        if found:
            return found
    for scope in scopes:
        found = _first_date(scope.css("time, span, small, div, p, li"), max_chars=60)
        if found:
            return found
    return None


def _date_named(node: LexborNode) -> bool:
    hint = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}"
    return node.tag == "time" or bool(_DATE_HINT.search(hint))


def _first_date(nodes: Iterable[LexborNode], max_chars: int = 120) -> str | None:
    for node in nodes:
        text = _node_text(node)
        found = parse_date(text) if 0 < len(text) <= max_chars else None
        if found:
            return found
    return None


def _author(tree: LexborHTMLParser, ld: dict[str, Any] | None,
            meta: dict[str, str]) -> str | None:
    if ld and (names := _ld_authors(ld)):
        return names
    for key in ("author", "article:author", "dc.creator", "parsely-author"):
        value = meta.get(key)
        if value and not value.startswith(("http://", "https://")):
            return value
    for node in tree.css("[rel=author], [itemprop=author], .byline, .author-name, .author"):
        text = re.sub(r"^(?:by|بقلم|كتب)[:\s]+", "", _node_text(node), flags=re.IGNORECASE)
        if 0 < len(text) <= 80:
            return text
    return None


def _canonical(tree: LexborHTMLParser, ld: dict[str, Any] | None,
               meta: dict[str, str], url: str) -> str | None:
    link = tree.css_first("link[rel~=canonical][href]")
    main_entity = (ld or {}).get("mainEntityOfPage")
    candidates = [
        link.attributes.get("href") if link is not None else None,
        meta.get("og:url"),
        _ld_str((ld or {}).get("url")),
        main_entity.get("@id") if isinstance(main_entity, dict) else _ld_str(main_entity),
    ]
    for candidate in candidates:
        cleaned = clean_url(candidate, url) if candidate else None
        if cleaned:
            return cleaned
    return None


def _language(tree: LexborHTMLParser, ld: dict[str, Any] | None, meta: dict[str, str],
              text: str) -> str | None:
    html_node = tree.css_first("html")
    candidates = [
        _ld_str((ld or {}).get("inLanguage")),
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


# --- body --------------------------------------------------------------------------------

def _body(tree: LexborHTMLParser, ld: dict[str, Any] | None) -> tuple[str, str]:
    ld_body = _ld_body(ld)
    if len(ld_body) >= _SUBSTANTIAL and not _looks_truncated(ld_body):
        return ld_body, "jsonld"
    _remove_boilerplate(tree)
    for br in tree.css("br"):
        br.replace_with("\n")
    densest = _densest_block(tree)
    dense_text = _paragraphs(densest) if densest is not None else ""
    found = _container_text(tree)
    # A container with far less text than the densest block is a teaser card or a
    # comment that happened to be an <article>, while the story sits in plain <div>s.
    if found and len(found) * 2 >= len(dense_text):
        return found, "article"
    if dense_text:
        return dense_text, "paragraphs"
    if ld_body:
        return ld_body, "jsonld"
    text = _lines_text(tree.body)
    if text:
        return text, "text"
    raise ExtractError("no article text found")


def _ld_body(ld: dict[str, Any] | None) -> str:
    raw = (ld or {}).get("articleBody")
    if isinstance(raw, list):
        raw = "\n".join(r for r in raw if isinstance(r, str))
    if not isinstance(raw, str) or not raw.strip():
        return ""
    if re.search(r"<(?:p|br|div)\b", raw, re.IGNORECASE):
        fragment = LexborHTMLParser(f"<div>{raw}</div>")
        for br in fragment.css("br"):
            br.replace_with("\n")
        return _paragraphs(fragment.body) or _lines_text(fragment.body)
    return _join_lines(raw.splitlines())


def _looks_truncated(text: str) -> bool:
    return text.rstrip().endswith(("...", "…", "[…]", "[...]"))


def _remove_boilerplate(tree: LexborHTMLParser) -> None:
    """Delete navigation, sidebars, share bars and the like, but never the article.

    Some CMSs wrap the whole page in <form> (ASP.NET) or give the <article> a class
    such as "tag-iraq" (WordPress), so a form or a node matched by its class/id is
    kept when it holds most of the page's text.
    """
    # Pages without <p> fall back to weighing all text.
    weigh = _paragraph_chars if _paragraph_chars(tree.body) else _text_chars
    half = weigh(tree.body) / 2
    doomed = {n.mem_id: n for n in tree.css(_NOISE_TAGS) if n.tag != "form"}
    for node in [*tree.css("form"), *(n for n in tree.css("[class], [id]") if _noisy_name(n))]:
        if node.tag not in ("html", "head", "body") and weigh(node) <= half:
            doomed[node.mem_id] = node
    for node in doomed.values():
        # A node inside another doomed node goes with it; touching it afterwards is unsafe.
        if not _has_ancestor_in(node, doomed):
            node.decompose()


def _has_ancestor_in(node: LexborNode, ids: dict[int, LexborNode]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def _noisy_name(node: LexborNode) -> bool:
    attrs = node.attributes
    tokens = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".split()
    return any(_NOISE_WORDS.search(token) for token in tokens)


def _paragraph_chars(node: LexborNode | None) -> int:
    if node is None:
        return 0
    return sum(len(p.text(deep=True, separator="").strip()) for p in node.css("p"))


def _text_chars(node: LexborNode | None) -> int:
    return len(node.text(deep=True, separator="").strip()) if node is not None else 0


def _container_text(tree: LexborHTMLParser) -> str:
    """Text of the article element, the itemprop=articleBody element, or <main>."""
    for node in _containers(tree):
        text = _paragraphs(node)
        if len(text) >= _MIN_CONTAINER:
            return text
    return ""


def _containers(tree: LexborHTMLParser) -> Iterator[LexborNode]:
    # Listing cards are <article>s too: the one with the most paragraph text is the story.
    articles = sorted(tree.css("article"), key=_paragraph_chars, reverse=True)
    for article in articles[:1]:
        inner = article.css_first("[itemprop=articleBody]")
        if inner is not None:
            yield inner
        yield article
    yield from tree.css("[itemprop=articleBody]")
    yield from tree.css("main, [role=main]")


def _densest_block(tree: LexborHTMLParser) -> LexborNode | None:
    """The element whose direct <p> children hold the most text."""
    scores: dict[int, tuple[LexborNode, int]] = {}
    for para in tree.css("p"):
        parent = para.parent
        if parent is None:
            continue
        node, score = scores.get(parent.mem_id, (parent, 0))
        scores[parent.mem_id] = (node, score + len(_node_text(para)))
    if not scores:
        return None
    node, score = max(scores.values(), key=lambda pair: pair[1])
    return node if score else None


def _paragraphs(node: LexborNode | None) -> str:
    """Block texts in document order, "\n\n" between blocks.

    Only innermost blocks are read, so a <blockquote><p> or <li><p> is not doubled.
    """
    if node is None:
        return ""
    blocks: list[str] = []
    for block in node.css(_BLOCKS):
        if _has_inner_block(block):
            continue
        text = _join_lines(block.text(deep=True, separator="").splitlines(), sep="\n")
        if text:
            blocks.append(text)
    return "\n\n".join(blocks)


def _has_inner_block(block: LexborNode) -> bool:
    # selectolax's node.css() matches the node itself as well as its descendants.
    return any(inner.mem_id != block.mem_id for inner in block.css(_BLOCKS))


def _lines_text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return _join_lines(node.text(deep=True, separator="\n").splitlines())


def _join_lines(lines: list[str], sep: str = "\n\n") -> str:
    cleaned = (" ".join(line.split()) for line in lines)
    return sep.join(line for line in cleaned if line)
