"""How much markup a page may hold before it is parsed: a cheap scan that refuses hostile
pages before the expensive steps.

lexbor's tree building costs time proportional to the depth of the open elements for each
start tag (its scope checks walk that stack), so a page of N nested elements costs ~N^2:
40,000 nested <div>s take seconds, the 900,000 that fit under the 10 MB size limit would
take hours, inside C code that nothing can interrupt. Extraction then walks every node in
Python, so the element count bounds its time too. This scan is linear and stops as soon as
a limit is passed.

The depth counted is an upper bound of what the parser builds: elements whose end tag is
optional (<p>, <li>, <td> ...) close themselves and are not counted, void elements have no
content, and the text of <script>, <style>, comments and the like is skipped (a script's
"<div>" strings are not markup).
"""

from __future__ import annotations

import re

from ..errors import ExtractError

__all__ = ["MAX_DEPTH", "MAX_ELEMENTS", "MarkupTooComplex", "check_markup",
           "markup_within_limits"]

# Real pages nest 20-60 deep and hold a few thousand elements (the 311 pages of the two
# corpora: at most 49 deep by this count, and 9,900 elements). At these limits a page costs
# lexbor well under a second (depth 2,000: ~10 ms) and extraction about one (50,000 flat
# elements: ~0.7 s of CPU); the worker's CPU limit (prepare.py) covers the rest.
MAX_DEPTH = 2000
MAX_ELEMENTS = 50_000

_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "param", "source", "track", "wbr", "keygen", "frame", "basefont", "bgsound"})
_SELF_CLOSING = frozenset({"p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th",
                           "thead", "tbody", "tfoot", "rb", "rp", "rt", "rtc", "colgroup",
                           "caption", "html", "head", "body"})
_NOT_NESTING = _VOID | _SELF_CLOSING

# A start or end tag: its name, then its attributes as the HTML tokenizer reads them (a quote
# only opens a value after "=", and an unclosed one runs to the end of the page, so "<" or
# ">" inside a value is not markup), up to its ">". Possessive: each character is read once.
_TAG = re.compile(r"""<(/?)([a-zA-Z][^\s/>]*)(?:[^>"'=]++|=\s*"[^"]*+(?:"|\Z)"""
                  r"""|=\s*'[^']*+(?:'|\Z)|[="'])*+>?|<!--""")
# Elements whose content is text, not markup, up to their own end tag (or the end of the
# page, as a parser reads an unclosed one) - in HTML only, not inside <svg> or <math>.
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed",
                       "noframes", "plaintext"})
_RAW_TEXT_END = {name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE) for name in _RAW_TEXT}
_FOREIGN = frozenset({"svg", "math"})
_COMMENT_END = re.compile(r"--!?>")


def markup_within_limits(html: str, max_depth: int = MAX_DEPTH,
                         max_elements: int = MAX_ELEMENTS) -> str | None:
    """None when `html` is within the limits, else why not (one line)."""
    if html.count("<") <= min(max_depth, max_elements):
        return None  # fewer tags than either limit (a quick count, in C)
    depth = elements = foreign = 0  # foreign: open <svg>/<math> elements
    position: int | None = 0
    while position is not None:  # each round: tags up to a comment or raw text to skip
        tags, position = _TAG.finditer(html, position), None
        for tag in tags:
            closing, name = tag.groups()
            if name is None:
                position = _comment_end(html, tag.end())
                break
            name = name.lower()
            if name in _NOT_NESTING:
                elements += not closing
            elif closing:
                if depth:  # a stray end tag closes nothing
                    depth -= 1
                    if foreign and name in _FOREIGN:
                        foreign -= 1
                continue
            else:
                elements += 1
                depth += 1
                if name in _FOREIGN:
                    foreign += 1
                elif name in _RAW_TEXT and not foreign:
                    found = _RAW_TEXT_END[name].search(html, tag.end())
                    position = len(html) if found is None else found.start()
                if depth > max_depth:
                    return f"page too complex: elements nested more than {max_depth:,} deep"
                if position is not None:
                    break
            if elements > max_elements:
                return f"page too complex: more than {max_elements:,} elements"
    return None


def _comment_end(html: str, position: int) -> int:
    """Where the comment starting before `position` ends ("<!-->" and "<!--->" end at
    once; an unclosed one runs to the end of the page)."""
    for abrupt in (">", "->"):
        if html.startswith(abrupt, position):
            return position + len(abrupt)
    found = _COMMENT_END.search(html, position)
    return len(html) if found is None else found.end()


class MarkupTooComplex(ExtractError):
    """A page beyond the limits: refused before parsing."""


def check_markup(html: str) -> None:
    """Raise MarkupTooComplex when `html` is too deep or too large to parse safely."""
    problem = markup_within_limits(html)
    if problem:
        raise MarkupTooComplex(problem)
