"""Generic article-body extractor: the last layer, for pages without usable metadata.

Readability-style: boilerplate is deleted first (navigation, sidebars, share bars,
"most read", newsletters, comments, cookie notices, captions, audio widgets), then every
innermost text block scores its ancestors on length and commas; the best ancestor, damped
by its link density and nudged by class/id hints, is the article, together with those of
its siblings that look like more of it. Paragraphs come out in page order, "\n\n" apart.

Paragraphs are what the page draws as paragraphs: block elements, and runs of two or more
<br>. A line break in the HTML source (inside a <p>, or between inline elements) is only
whitespace, as in a browser, so it becomes a space: otherwise a sentence wrapped in the
source would be cut in two and every snippet around it would end mid-sentence. A single
<br> is a line break inside the paragraph ("\n").

Speed matters (the daemon reads every article of every outlet), so the DOM is searched
with CSS selectors (C, in lexbor) and Python only walks the few nodes that matter.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = ["block_texts", "extract_content", "remove_boilerplate"]

# Elements that start a new block of text; the rest (a, b, span, ...) flow inside one.
BLOCK_TAGS = frozenset({
    "p", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "td", "th", "dd",
    "dt", "div", "section", "article", "main", "figure", "ul", "ol", "dl", "table", "tbody",
    "thead", "tr", "center", "address", "header", "footer", "aside", "nav", "form", "body",
})
_BLOCK_SEL = ", ".join(sorted(BLOCK_TAGS - {"body"}))
_CELLS = frozenset({"td", "th"})
_CONTAINERS = "div, section, article, main, td, li, blockquote, center, body"
# Never article text, whatever surrounds them.
_ALWAYS_NOISE = ("script, style, noscript, template, svg, iframe, object, embed, button, "
                 "select, input, textarea, label, figcaption, nav, aside, footer, header, "
                 "dialog, [hidden], [aria-hidden=true], [role=navigation], [role=complementary],"
                 " [role=contentinfo], [role=banner], [role=dialog]")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Class / id tokens of boilerplate, bounded by start, end, "-" or "_": "post-share" and
# "widget_most-read" match, "shared" and "thread-title" do not. English and CMS names.
_NOISE_WORDS = re.compile(
    r"(?:^|[-_])(?:share|sharing|sharer|social|related|most[-_]?read|mostread|popular"
    r"|trending|newsletter|subscribe|subscription|signup|comments?|disqus|cookies?"
    r"|consent|gdpr|sidebar|promo|promoted|tags?|tagcloud|breadcrumbs?|ads?|advert\w*"
    r"|sponsored|meta|byline|caption|credits?|listen|audio|player|podcast|nav|navbar|menu"
    r"|footer|masthead|banner|popup|overlay|pagination|pager|widget|outbrain|taboola"
    r"|recommended|recirc|more[-_]stories|read[-_]?more|readnext|print|toolbar|tools"
    r"|rating|follow|author[-_]?bio|bio|hidden|sr[-_]only|screen[-_]reader[-_]text"
    r"|visually[-_]hidden|skip|login|paywall|donate|rss|next|prev|previous)(?:[-_]|$)",
    re.IGNORECASE,
)
# A class token like this marks the article wrapper, whatever other tokens say.
_GOOD_TOKEN = re.compile(r"article|body|content|entry|story|text|blog|hentry|post", re.IGNORECASE)
_GOOD_WORDS = re.compile(
    r"article|body|content|entry|main|post|story|text|blog|news|detail|hentry|h-entry",
    re.IGNORECASE,
)
_BAD_WORDS = re.compile(
    r"comment|sidebar|related|footer|share|social|widget|promo|sponsor|banner|menu"
    r"|teaser|card|list|tag|meta|nav|ad-|popular|recommend|outbrain|taboola",
    re.IGNORECASE,
)
_TAG_WEIGHT = {"div": 5, "article": 10, "section": 3, "main": 5, "pre": 3, "td": 3,
               "blockquote": 3, "form": -3, "ol": -3, "ul": -3, "dl": -3, "li": -3,
               "dd": -3, "dt": -3, "address": -3, "th": -5, "h1": -5, "h2": -5, "h3": -5}
# Short lines that are interface text, not prose: data, not per-site rules.
_UI_LINE = re.compile(
    r"^(?:advertisement|advertising|sponsored|share(?: this)?(?: article| story)?"
    r"|read more|see also|related(?: articles| stories| news)?:?|listen(?: to)?.*audio.*"
    r"|click here.*|photo:.*|image:.*|© .*|copyright .*|all rights reserved.*)$",
    re.IGNORECASE,
)
_MIN_SCORED = 25  # a block shorter than this says nothing about where the article is
# What a <br> becomes in the text, so that it is told apart from the source's own line
# breaks (plain whitespace). LINE SEPARATOR means exactly this, and pages practically
# never contain one: one a page does contain is read as the line break it stands for.
_BR = "\u2028"
# Whitespace around one or more <br>s: one is a line break, two or more a paragraph break.
_BREAKS = re.compile(r"(\s*\u2028[\s\u2028]*)")


@dataclass
class _Block:
    node: LexborNode
    text: str
    links: int  # characters inside <a>


@dataclass
class _Scores:
    by_id: dict[int, float] = field(default_factory=dict)
    nodes: dict[int, LexborNode] = field(default_factory=dict)

    def add(self, node: LexborNode, amount: float) -> None:
        key = node.mem_id
        if key not in self.by_id:
            self.nodes[key] = node
            self.by_id[key] = _initial_score(node)
        self.by_id[key] += amount


def extract_content(tree: LexborHTMLParser) -> str:
    """The article text of a page, or "" when nothing looks like an article."""
    root = tree.body
    if root is None:
        return ""
    remove_boilerplate(tree)
    _prepare(root)
    blocks = _collect(root)
    if not blocks:
        return ""
    top, top_score, scores = _best_candidate(blocks)
    if top is None:
        return _join(b for b in blocks if _is_prose(b))
    chosen = _with_siblings(top, top_score, scores, blocks)
    return _join(_blocks_within(chosen, blocks))


def block_texts(root: LexborNode) -> str:
    """All innermost blocks of `root` in order, "\n\n" apart (for selector and JSON-LD)."""
    _prepare(root)
    return _join(b for b in _collect(root) if not _UI_LINE.match(b.text))


# --- boilerplate ---------------------------------------------------------------------------

def remove_boilerplate(tree: LexborHTMLParser) -> None:
    """Delete navigation, sidebars, share bars and the like, but never the article.

    A node matched only by its class/id (a WordPress <article class="tag-iraq">, an
    ASP.NET page-wide <form>) is kept when it holds half the page's text or more.
    """
    root = tree.body
    if root is None:
        return
    doomed = {n.mem_id: n for n in root.css(_ALWAYS_NOISE)}
    doomed.update((n.mem_id, n) for n in root.css("[style]")
                  if _HIDDEN_STYLE.search(n.attributes.get("style") or ""))
    _decompose(doomed)
    # Weighed only after menus are gone: a long mega-menu would make the story look small.
    suspects = [*root.css("form"), *(n for n in root.css("[class], [id]") if _noisy_name(n))]
    if suspects:
        half = _text_len(root) / 2
        _decompose({n.mem_id: n for n in suspects if _text_len(n) < half})


def _decompose(doomed: dict[int, LexborNode]) -> None:
    for node in doomed.values():
        # A node inside another doomed node goes with it; touching it afterwards is unsafe.
        if not _has_ancestor_in(node, doomed):
            node.decompose()


def _noisy_name(node: LexborNode) -> bool:
    """Named like boilerplate, and no other name says it is the content: the story's
    own wrapper is often "entry-content entry-content-read-more" or "box modal-enabled
    article"."""
    # <article class="post tag-iraq"> (WordPress) names its tags, not its role.
    if node.tag in ("html", "body", "main", "article", "p") or \
            node.attributes.get("itemprop") == "articleBody":
        return False
    attrs = node.attributes
    return _noisy_tokens(f"{attrs.get('class') or ''} {attrs.get('id') or ''}")


@lru_cache(maxsize=4096)
def _noisy_tokens(names: str) -> bool:
    # Cached: pages repeat the same class strings hundreds of times.
    tokens = names.split()
    noisy = [bool(_NOISE_WORDS.search(token)) for token in tokens]
    if not any(noisy):
        return False
    return not any(_GOOD_TOKEN.search(t) for t, bad in zip(tokens, noisy, strict=True) if not bad)


def _has_ancestor_in(node: LexborNode, ids: dict[int, LexborNode]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def _text_len(node: LexborNode) -> int:
    return len(node.text(deep=True, separator="").strip())


# --- blocks --------------------------------------------------------------------------------

def _prepare(root: LexborNode) -> None:
    """<br> becomes a marked line break; text lying bare beside blocks is wrapped into
    <p>s so a body written as text and <br>s (no <p>) is read like any other."""
    for br in root.css("br"):
        br.replace_with(_BR)
    for node in root.css(_CONTAINERS) if root.tag != "body" else [root, *root.css(_CONTAINERS)]:
        if node.text(deep=False).strip() and _has_block_child(node):
            _wrap_runs(node)


def _has_block_child(node: LexborNode) -> bool:
    return any(child.tag in BLOCK_TAGS for child in node.iter())


def _wrap_runs(node: LexborNode) -> None:
    run: list[LexborNode] = []
    for child in [*node.iter(include_text=True), None]:
        # An inline element wrapping blocks (<span><div>..) is a boundary: moving it would
        # free nodes that the caller is still iterating over.
        if child is not None and child.tag not in BLOCK_TAGS and (
                child.tag == "-text" or child.css_first(_BLOCK_SEL) is None):
            run.append(child)
            continue
        if run and any(part.text(deep=True).strip() for part in run):
            markup = "".join(html.escape(part.text(deep=False)) if part.tag == "-text"
                             else (part.html or "") for part in run)
            # Keep the fragment's parser alive until its node has been copied in.
            fragment = LexborHTMLParser(f"<p>{markup}</p>")
            paragraph = fragment.css_first("p")
            if paragraph is not None:
                run[0].insert_before(paragraph)
                for part in run:
                    part.decompose()
        run = []


def _collect(root: LexborNode) -> list[_Block]:
    """Innermost block elements holding text, in document order."""
    nodes = root.css(_BLOCK_SEL)
    outer: set[int] = set()
    for node in nodes:
        parent = node.parent
        while parent is not None and parent.tag not in BLOCK_TAGS:
            parent = parent.parent
        if parent is not None:
            outer.add(parent.mem_id)
    blocks = []
    for node in nodes:
        if node.mem_id in outer:
            continue
        text = _node_text(node)
        if text:
            blocks.append(_Block(node, text, sum(len(_node_text(a)) for a in node.css("a"))))
    if not blocks and root.mem_id not in outer and (text := _node_text(root)):
        blocks.append(_Block(root, text, 0))
    return blocks


def _node_text(node: LexborNode) -> str:
    """Text with inline markup joined as written and whitespace (source line breaks too)
    collapsed; a <br> is a line break and two or more are a paragraph break (bodies
    written as text and <br>s have no <p>)."""
    text = node.text(deep=True, separator="")
    if _BR not in text:
        return " ".join(text.split())
    out: list[str] = []
    breaks = 0  # <br>s since the last line written
    pieces = _BREAKS.split(text)  # line, <br>s, line, <br>s, ..., line
    for index, piece in enumerate(pieces):
        if index % 2:
            breaks += piece.count(_BR)
            continue
        line = " ".join(piece.split())
        if line:
            if out:
                out.append("\n\n" if breaks > 1 else "\n")
            out.append(line)
            breaks = 0
    return "".join(out)


# --- scoring -------------------------------------------------------------------------------

def _initial_score(node: LexborNode) -> float:
    return _TAG_WEIGHT.get(node.tag or "", 0) + class_weight(node)


def class_weight(node: LexborNode) -> float:
    """+25 for names like "article-body", -25 for "sidebar" or "related"; both may apply."""
    weight = 0.0
    for value in (node.attributes.get("class"), node.attributes.get("id")):
        if value:
            if _BAD_WORDS.search(value):
                weight -= 25
            if _GOOD_WORDS.search(value):
                weight += 25
    if node.attributes.get("itemprop") == "articleBody":
        weight += 50
    return weight


def _best_candidate(blocks: list[_Block]) -> tuple[LexborNode | None, float, _Scores]:
    scores = _Scores()
    for block in blocks:
        if len(block.text) < _MIN_SCORED:
            continue
        # Commas (Latin and Arabic) mark sentences; long blocks are prose, capped so one
        # wall of text does not outweigh many paragraphs.
        points = 1 + block.text.count(",") + block.text.count("،") + min(len(block.text) // 100, 3)
        points *= 1 - _density(block.links, len(block.text))
        node = block.node.parent
        for level in (1, 2, 3):
            if node is None or node.tag == "html":
                break
            scores.add(node, points / level)
            node = node.parent
    best: LexborNode | None = None
    best_score = 0.0
    for key, raw in sorted(scores.by_id.items(), key=lambda kv: kv[1], reverse=True)[:8]:
        node = scores.nodes[key]
        final = raw * (1 - link_density(node))
        if final > best_score:
            best, best_score = node, final
    return best, best_score, scores


def link_density(node: LexborNode) -> float:
    text = _text_len(node)
    links = sum(len(a.text(deep=True, separator="").strip()) for a in node.css("a"))
    return _density(links, text)


def _density(links: int, total: int) -> float:
    return min(1.0, links / total) if total else 0.0


def _with_siblings(top: LexborNode, top_score: float, scores: _Scores,
                   blocks: list[_Block]) -> list[LexborNode]:
    """The top candidate and the siblings that look like more of the same article."""
    parent = top.parent
    if parent is None or top.tag == "body":
        return [top]
    threshold = max(10.0, top_score * 0.2)
    top_class = top.attributes.get("class") or ""
    leaf = {b.node.mem_id: b for b in blocks}
    chosen = []
    for sibling in parent.iter():
        same_class = bool(top_class) and sibling.attributes.get("class") == top_class
        bonus = top_score * 0.2 if same_class else 0.0
        score = scores.by_id.get(sibling.mem_id)
        scored = score is not None and score * (1 - link_density(sibling)) + bonus >= threshold
        if sibling.mem_id == top.mem_id or scored or _prose_sibling(sibling, leaf):
            chosen.append(sibling)
    return chosen


def _prose_sibling(node: LexborNode, leaf: dict[int, _Block]) -> bool:
    block = leaf.get(node.mem_id)
    return block is not None and _is_prose(block)


def _is_prose(block: _Block) -> bool:
    density = _density(block.links, len(block.text))
    if len(block.text) >= 80:
        return density < 0.25
    return density == 0 and block.text.rstrip().endswith((".", "!", "?", "۔", "؟", "\""))


# --- output --------------------------------------------------------------------------------

def _blocks_within(chosen: list[LexborNode], blocks: list[_Block]) -> list[_Block]:
    by_id = {b.node.mem_id: b for b in blocks}
    found: list[_Block] = []
    for node in chosen:
        if node.mem_id in by_id:
            found.append(by_id[node.mem_id])
            continue
        found.extend(by_id[n.mem_id] for n in node.css(_BLOCK_SEL) if n.mem_id in by_id)
    return [b for b in found if _keep(b)]


def _keep(block: _Block) -> bool:
    """Drop what survives inside the article but is not its text."""
    if block.node.tag == "h1" or _UI_LINE.match(block.text):
        return False
    # A block that is mostly links is a "read also" list or a tag row.
    return _density(block.links, len(block.text)) <= 0.5


def _join(blocks: Iterable[_Block]) -> str:
    """Paragraphs "\n\n" apart, except that the cells of one table row make one line:
    a row of a results table or a schedule is read across, not a cell per paragraph."""
    out: list[str] = []
    row: int | None = None
    for block in blocks:
        parent = block.node.parent
        in_row = block.node.tag in _CELLS and parent is not None and parent.tag == "tr"
        here = parent.mem_id if in_row and parent is not None else None
        if out:
            out.append(" " if here is not None and here == row else "\n\n")
        out.append(block.text)
        row = here
    return "".join(out)
