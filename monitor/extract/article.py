"""Article page HTML -> title, body text and metadata.

Layered, most reliable first, each layer naming itself in `method`:
  "selectors"  the source's own CSS selectors from config.yaml (after its `drop` list),
  "jsonld"     the publisher's JSON-LD articleBody, when it is the whole article,
  "generic"    the content extractor (content.py) scoring the page's text blocks,
  "text"       the page's visible text, when nothing else holds any.
A layer that finds nothing falls through to the next. The body must hold only the
article's own text: a "Most Read" sidebar naming other people raises false alerts.
"""

from __future__ import annotations

import re
from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from monitor.config import ArticleSelectors
from monitor.errors import ExtractError
from monitor.extract import metadata as md
from monitor.extract.bounds import check_markup
from monitor.extract.content import block_texts, extract_content, remove_boilerplate
from monitor.extract.datelines import find_dateline
from monitor.extract.dates import parse_date
from monitor.extract.not_article import link_share
from monitor.extract.paragraphs import with_page_paragraphs
from monitor.models import ExtractedArticle

__all__ = ["extract_article"]

_SUBSTANTIAL = 200  # shorter JSON-LD articleBody is a teaser, not the article


def extract_article(html: str, url: str, *, selectors: ArticleSelectors | None = None,
                    timezone: str | None = None,
                    dateline: str | None = None) -> ExtractedArticle:
    """Extract one article; raises ExtractError only when no body text exists at all.

    `timezone` (IANA name) is how naive local times on the page are read; `dateline` is
    the source's own dateline regex, tried before the defaults in datelines.py.
    """
    check_markup(html)  # before the parser, whose cost grows with the square of the depth
    tree = LexborHTMLParser(html)
    if selectors is not None:
        for selector in selectors.drop:
            for node in _select(tree, selector):
                node.decompose()
    tz = _zone(timezone)
    ld = md.jsonld_article(tree)
    meta = md.meta_tags(tree)
    # Metadata first: body extraction removes header/nav nodes that hold bylines and dates.
    title = _selected(tree, selectors, "title") or md.title(tree, ld, meta, url)
    published = _selected_date(tree, selectors, tz) or md.published(tree, ld, meta, tz)
    author = _selected(tree, selectors, "author") or md.author(tree, ld, meta)
    body, method = _body(tree, ld, selectors)
    return ExtractedArticle(
        title=title, body=body, method=method, author=author, published=published,
        language=md.language(tree, ld, meta, f"{title or ''} {body}"),
        canonical_url=md.canonical(tree, ld, meta, url),
        modified=md.modified(tree, ld, meta, tz),
        dateline=find_dateline(body, dateline),
        link_share=link_share(tree, body),
    )


def _zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        # Config validates names; a direct caller with a typo gets a clear message.
        raise ExtractError(f"unknown timezone {name!r}") from exc


# --- layer 1: per-source selectors -------------------------------------------------------

def _select(tree: LexborHTMLParser, selector: str | None) -> list[LexborNode]:
    if not selector:
        return []
    try:
        return list(tree.css(selector))
    except SelectolaxError:
        return []  # config checks selectors; an odd one simply matches nothing here


def _selected(tree: LexborHTMLParser, selectors: ArticleSelectors | None,
              field: str) -> str | None:
    nodes = _select(tree, getattr(selectors, field, None))
    text = md.node_text(nodes[0]) if nodes else ""
    if field == "author":
        text = re.sub(r"^(?:by|بقلم|كتب)[:\s]+", "", text, flags=re.IGNORECASE)
    return text or None


def _selected_date(tree: LexborHTMLParser, selectors: ArticleSelectors | None,
                   tz: tzinfo) -> str | None:
    for node in _select(tree, getattr(selectors, "date", None)):
        attrs = node.attributes
        for value in (attrs.get("datetime"), attrs.get("content"), md.node_text(node)):
            found = parse_date(value, tz)
            if found:
                return found
    return None


# --- body layers -------------------------------------------------------------------------

def _body(tree: LexborHTMLParser, ld: dict[str, Any] | None,
          selectors: ArticleSelectors | None) -> tuple[str, str]:
    nodes = _select(tree, getattr(selectors, "body", None))
    if nodes:
        remove_boilerplate(tree)  # share bars inside the chosen element still go
        text = "\n\n".join(t for t in (block_texts(n) for n in nodes if n.parent) if t)
        if text:
            return text, "selectors"
    ld_body = _ld_body(ld)
    if len(ld_body) >= _SUBSTANTIAL and not _looks_truncated(ld_body):
        if "\n" not in ld_body:  # run together on one line: the page has the paragraphs
            ld_body = with_page_paragraphs(ld_body, extract_content(tree))
        return ld_body, "jsonld"
    text = extract_content(tree)
    if text:
        return text, "generic"
    if ld_body:
        return ld_body, "jsonld"
    text = block_texts(tree.body) if tree.body is not None else ""
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
        check_markup(raw)  # it sat in a <script>, which the page's own check skips
        fragment = LexborHTMLParser(f"<div>{raw}</div>")
        return block_texts(fragment.body) if fragment.body is not None else ""
    lines = (" ".join(line.split()) for line in raw.splitlines())
    return "\n\n".join(line for line in lines if line)


def _looks_truncated(text: str) -> bool:
    return text.rstrip().endswith(("...", "…", "[…]", "[...]"))
