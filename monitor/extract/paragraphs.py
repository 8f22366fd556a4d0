"""Paragraph breaks from the page, for a text that lost them.

Some publishers' JSON-LD articleBody is the whole article run together on one line: the
words are right, the paragraphs are gone, so `monitor show` prints a wall of text and the
first sentence of one paragraph runs into the last of the one before. The page itself
still draws the paragraphs. `with_page_paragraphs` aligns the two word sequences and puts
a break into the text wherever the page breaks between two words that follow each other
in both. Only the breaks come from the page; every character of the text is kept.
"""

from __future__ import annotations

import difflib
import re

__all__ = ["with_page_paragraphs"]

_WORD = re.compile(r"\w+")
_MAX_WORDS = 20_000  # beyond this, aligning costs more than the paragraphs are worth


def with_page_paragraphs(text: str, page: str) -> str:
    """`text` with the paragraph ("\\n\\n") and line ("\\n") breaks of `page` put in."""
    words = list(_WORD.finditer(text))
    page_words = list(_WORD.finditer(page))
    if not words or not page_words or max(len(words), len(page_words)) > _MAX_WORDS:
        return text
    matcher = difflib.SequenceMatcher(None, [w.group() for w in words],
                                      [w.group() for w in page_words], autojunk=False)
    cuts: list[tuple[int, str]] = []
    for i, j, size in matcher.get_matching_blocks():
        for k in range(1, size):
            gap = page[page_words[j + k - 1].end():page_words[j + k].start()]
            breaks = gap.count("\n")
            if breaks:
                cuts.append((_token_start(text, words[i + k].start()),
                             "\n\n" if breaks > 1 else "\n"))
    if not cuts:
        return text
    out, done = [], 0
    for at, separator in cuts:
        piece = text[done:at].strip()
        if piece:
            out += [piece, separator]
        done = at
    out.append(text[done:].strip())
    return "".join(out)


def _token_start(text: str, at: int) -> int:
    """Back from a word to the start of its whitespace-delimited token, so an opening
    quote or bracket stays with the word it opens."""
    while at > 0 and not text[at - 1].isspace():
        at -= 1
    return at
