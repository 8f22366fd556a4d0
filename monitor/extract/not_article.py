"""Pages that are linked as articles but are not one, recognised so they are skipped, not
stored (stored, they would be matched, alerted on and clustered like news).

* the source's own listing page, or a site's home page, linked from the listing;
* a stub: a redirect page ("Document moved", "Object moved"), a script wall or a "not
  found" page sent with status 200 (phrases in data/not_article.yaml);
* too little text to be an article (fewer than MIN_WORDS words);
* mostly links: a section front or "latest news" page, whose extracted "body" is the
  headlines of other articles (`link_share`, computed at extraction).

A short real article, a three-paragraph breaking-news item, in English or Arabic, has a
body of its own sentences, none of them a link, and is stored.

The first and last are `final`: the address or the shape of the page says it is no article.
A stub or a near-empty page may be passing (a feed announcing a page its CMS has not filled
yet, a challenge page), so the page is looked at again on later polls, a few times.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from urllib.parse import urlsplit

import yaml
from selectolax.lexbor import LexborHTMLParser

from monitor.models import ExtractedArticle

__all__ = ["MIN_WORDS", "NotArticle", "link_share", "not_article_reason"]

# "عاجل | انفجار في الكرادة وسط بغداد وأنباء عن إصابات" is 10 words and a real item; a
# redirect stub is 4-8 and a stub's phrase catches it anyway.
MIN_WORDS = 8
# Stubs are short; a longer page is judged by its text, not by a phrase it quotes.
STUB_MAX_WORDS = 80
# Headlines of other articles making up this much of the body: a listing, not an article.
MOSTLY_LINKS = 0.5


@dataclass(frozen=True)
class NotArticle:
    reason: str
    final: bool  # False: the page may become an article; look again on a later poll


def not_article_reason(page: ExtractedArticle, urls: tuple[str, ...],
                       listing_url: str) -> NotArticle | None:
    """Why this extracted page is not an article, or None when it is one. `urls`: the
    entry's URL and the URL the page was fetched from (after redirects)."""
    listing = _comparable(listing_url)
    for url in urls:
        if not url:
            continue
        if _comparable(url) == listing:
            return NotArticle("not an article: the source's listing page", final=True)
        if _is_home(url):
            return NotArticle("not an article: a site's home page", final=True)
    words = len(page.body.split())
    phrase = _stub_phrase(f"{page.title or ''}\n{page.body}") if words <= STUB_MAX_WORDS \
        else None
    if phrase:
        return NotArticle(f"not an article: a stub page ({phrase!r})", final=False)
    if page.link_share >= MOSTLY_LINKS:
        return NotArticle(f"not an article: mostly links ({page.link_share:.0%} of its text "
                          "is link text, as on a listing page)", final=True)
    if words < MIN_WORDS:
        return NotArticle(f"not an article: too little text ({words} words)", final=False)
    return None


def link_share(tree: LexborHTMLParser, body: str) -> float:
    """Share of `body`'s characters in paragraphs that are, whole, a link's text on the
    page. A listing's extracted "body" is its headlines (each a link); an article's
    paragraphs are its own sentences."""
    paragraphs = [" ".join(p.split()) for p in body.split("\n")]
    paragraphs = [p for p in paragraphs if p]
    total = sum(len(p) for p in paragraphs)
    if not total:
        return 0.0
    anchors = {" ".join(a.text(deep=True).split()) for a in tree.css("a")}
    linked = sum(len(p) for p in paragraphs if p in anchors)
    return linked / total


def _comparable(url: str) -> tuple[str, str, str]:
    """Host (without www.), path (without a trailing slash) and query: http/https, a
    fragment or a trailing slash do not make another page."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    return host, parts.path.rstrip("/"), parts.query


def _is_home(url: str) -> bool:
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    # "/ar", "/en": a language's home page on bilingual outlets.
    return not parts.query and (not path or re.fullmatch(r"/[a-z]{2}", path) is not None)


@cache
def _stub_patterns() -> re.Pattern[str]:
    data = yaml.safe_load(files("monitor.extract").joinpath("data/not_article.yaml")
                          .read_text(encoding="utf-8"))
    phrases = sorted((" ".join(p.split()) for p in data["stub_phrases"]), key=len,
                     reverse=True)
    return re.compile("|".join(re.escape(p) for p in phrases), re.IGNORECASE)


def _stub_phrase(text: str) -> str | None:
    found = _stub_patterns().search(" ".join(text.split()))
    return found.group(0) if found else None
