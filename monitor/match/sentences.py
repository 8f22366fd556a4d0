"""Where sentences begin and end, in English and Arabic, for snippets.

The data (sentence-ending marks, closing quotes and brackets, abbreviations) is in
monitor/data/sentences.yaml; the rules that read it are here:

- A sentence ends at a run of ending marks (". ! ? ؟ ۔", "?!"), with any closing quotes
  and brackets after it, then whitespace or the end of the text; or at a line break.
- A period does not end one after an abbreviation ("Jan.", "Gen."), an initial ("A. Smith",
  "د. إبراهيم"), letters and periods ("U.S.", "e.g."), or as part of an ellipsis ("...");
  nor does any mark followed by a lower-case Latin letter ('"Why?" he asked').
- The Arabic comma ، and semicolon ؛ never end a sentence; a decimal point (3.5) cannot,
  as no whitespace follows it.

`sentence_bounds` looks only within `reach` characters of a match, so the cost of a
snippet does not grow with the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import NamedTuple

import yaml

__all__ = ["SentenceRules", "rules", "sentence_bounds", "split_sentences"]

_OPENERS = "\"'“‘«‹([{"
_DOTTED = re.compile(r"(?:\w\.)+\w")  # "u.s", "e.g", "u.a.e": letters and periods


class SentenceRules(NamedTuple):
    ends: re.Pattern[str]  # a candidate end: marks and closers, or a line break
    abbreviations: frozenset[str]


@cache
def rules() -> SentenceRules:
    text = resources.files("monitor.data").joinpath("sentences.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    ends, closers = re.escape(data["ends"]), re.escape(data["closers"])
    words = frozenset(str(word).lower() for group in data["abbreviations"].values()
                      for word in group)
    return SentenceRules(re.compile(rf"[{ends}]+[{closers}]*|\n"), words)


def _is_end(text: str, mark: re.Match[str], abbreviations: frozenset[str]) -> bool:
    """Whether the candidate `mark` really ends a sentence."""
    found = mark.group()
    if found == "\n":
        return True
    after = mark.end()
    if after < len(text):
        if not text[after].isspace():
            return False  # 3.5, "U.S.A", a period inside a word or a URL
        following = text[after:after + 4].lstrip()[:1]
        if following.isascii() and following.islower():
            return False  # '"Why?" he asked', "approx. five"
    if found.startswith(".."):
        return False  # an ellipsis: the sentence goes on
    if not found.startswith("."):
        return True  # "!" "?" "؟" "۔"
    word_start = mark.start()
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:mark.start()].lstrip(_OPENERS).lower()
    if word.endswith("…"):
        return False
    return not (word in abbreviations or (len(word) == 1 and word.isalpha())
                or _DOTTED.fullmatch(word) is not None)


def _ends(text: str, lo: int, hi: int) -> Iterator[re.Match[str]]:
    """The real sentence ends whose marks lie in text[lo:hi], in order."""
    current = rules()
    for mark in current.ends.finditer(text, lo, hi):
        if _is_end(text, mark, current.abbreviations):
            yield mark


def sentence_bounds(text: str, start: int, end: int, reach: int) -> tuple[int, int]:
    """(begin, finish) of the sentence, or sentences, holding text[start:end].

    Ends inside the span are ignored, so a span across sentences gets all of them. Only
    `reach` characters on each side are searched: where no end is found, the bound is
    `reach` characters away (or the text's start or end), and the caller cuts there.
    """
    lo = max(0, start - reach)
    begin = lo
    current = rules()
    # The last real end before the span: candidates are cheap to find, checking one is
    # not, so check from the nearest back.
    for mark in reversed(list(current.ends.finditer(text, lo, start))):
        if _is_end(text, mark, current.abbreviations):
            begin = mark.end()
            break
    hi = min(len(text), end + reach)
    for mark in _ends(text, end, hi):
        return begin, (mark.start() if mark.group() == "\n" else mark.end())
    return begin, hi


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, stripped, in order (for tests and tools)."""
    out, done = [], 0
    for mark in _ends(text, 0, len(text)):
        out.append(text[done:mark.end()].strip())
        done = mark.end()
    out.append(text[done:].strip())
    return [sentence for sentence in out if sentence]
