"""Article links on an HTML listing page (section front, "latest news" page)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.extract.bounds import check_markup

__all__ = ["PLAIN_ABSOLUTE_URL", "clean_url", "find_links"]

_TRACKING_EXACT = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid"})
# An absolute http(s) URL that `clean_url` would return unchanged: lower-case scheme, a plain
# host (no user, no IPv6 brackets) and port, a path of ASCII URL characters, and nothing
# urllib would alter: no query, fragment or ";params", no whitespace or control characters.
# Such a URL, joined to any base, comes back from urljoin/urldefrag/urlsplit/urlunsplit as
# it went in; checking that is ~10x cheaper than the round trip (feed links are mostly such).
PLAIN_ABSOLUTE_URL = (r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?"
                      r"(?:/[A-Za-z0-9\-._~!$&'()*+,=:@%/]*)?")
_CLEAN_ABSOLUTE = re.compile(PLAIN_ABSOLUTE_URL)


def find_links(html: str, base_url: str, selector: str | None, pattern: str | None) -> list[str]:
    """Absolute http(s) article URLs in page order, without duplicates.

    `selector` picks elements (an <a>, or a card whose <a> descendants are taken);
    `pattern` is re.search'ed against the cleaned absolute URL. Either narrows the
    other; with neither, every link on the page is returned.
    """
    check_markup(html)  # before the parser, whose cost grows with the square of the depth
    tree = LexborHTMLParser(html)
    base = _document_base(tree, base_url)
    regex = re.compile(pattern) if pattern else None
    seen: set[str] = set()
    links: list[str] = []
    for href in _hrefs(tree, selector):
        url = clean_url(href, base)
        if url is None or url in seen:
            continue
        if regex is not None and not regex.search(url):
            continue
        seen.add(url)
        links.append(url)
    return links


def clean_url(href: str, base: str) -> str | None:
    """Resolve `href`, keep it only if http(s), drop the fragment and tracking parameters."""
    href = href.strip()
    # "#comments" and the like point back at the page the link is on.
    if not href or href.startswith("#"):
        return None
    # Not with a base that urlsplit may reject (brackets, non-ASCII): that is None below.
    if _CLEAN_ABSOLUTE.fullmatch(href) and base.isascii() and "[" not in base \
            and "]" not in base:
        return href
    try:
        absolute = urldefrag(urljoin(base, href)).url
        parts = urlsplit(absolute)
    except ValueError:  # e.g. "http://[bad" - an invalid IPv6 host
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return urlunsplit(parts._replace(query=_strip_tracking(parts.query)))


def _strip_tracking(query: str) -> str:
    """Filter the raw query so the remaining parameters keep their exact encoding."""
    kept = [p for p in query.split("&") if p and not _is_tracking(p.split("=", 1)[0])]
    return "&".join(kept)


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name.startswith("utm_") or name in _TRACKING_EXACT


def _document_base(tree: LexborHTMLParser, page_url: str) -> str:
    """<base href> (itself relative to the page URL) overrides the page URL."""
    base = tree.css_first("base[href]")
    href = (base.attributes.get("href") or "").strip() if base is not None else ""
    return urljoin(page_url, href) if href else page_url


def _hrefs(tree: LexborHTMLParser, selector: str | None) -> Iterable[str]:
    nodes = tree.css(selector) if selector else tree.css("a[href]")
    for node in nodes:
        for anchor in _anchors(node):
            href = anchor.attributes.get("href")
            if href:
                yield href


def _anchors(node: LexborNode) -> list[LexborNode]:
    """The node itself if it is a link, else the links inside it (a whole teaser card)."""
    if node.tag == "a":
        return [node]
    return node.css("a[href]")
