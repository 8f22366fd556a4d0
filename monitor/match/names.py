"""Transliteration variants of multi-word Latin names: a trie over name tokens, and the
walk that finds the names in a text.

Each name token is an edge reachable by its orthographic and its skeleton key (variants.py),
so "Husayn Allaq" walks to the node of "Hussein al-Alaq". A walk starts only at a
capitalised word followed by another word (English writes names with capitals; "said" or
"state" in running text would otherwise start one): one regex pass over `cased` (the
normalised text with its capitals, see Normalised.cased) visits just those words, with a
per-word verdict (can it start a name?) cached across texts. The walk follows the text's
tokens through the trie, each step (nodes, token) -> nodes remembered too, and stops as soon
as no longer name can follow. A text without `cased` (the exact normalisation path) starts
walks from every token, checked for a capital through the offset map (`_name_starts_exact`,
also the reference the tests hold the fast scan to).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from .normalize import APOSTROPHES, Normalised
from .variants import ARTICLES, token_keys

__all__ = ["NameTrie", "Span", "is_possessive"]

_LATIN_WORD = re.compile(r"[a-z0-9]+")
# A capitalised Latin word in `cased` text, followed by a space and another Latin word: every
# name in the trie has 2+ words, so a word before punctuation cannot start one.
_CAPITALISED = re.compile(r"[A-Z][A-Za-z0-9]*(?= [A-Za-z0-9])")
_MARK_CAPITALS = str.maketrans(dict.fromkeys(range(65, 91), "\x00"))
# _CAPITALISED, after _MARK_CAPITALS
_MARKED_CAPITALISED = re.compile("\x00[\x00a-z0-9]*(?= [\x00a-z0-9])")
# bytes.translate tables: keep only what the token sets need, everything else is a space.
_LATIN_ONLY = bytes(c if chr(c).isascii() and chr(c).isalnum() and not chr(c).isupper()
                    else 32 for c in range(256))
_TOKEN_CACHE_LIMIT = 200_000
_STEP_CACHE_LIMIT = 100_000


class Span:
    """A candidate, in original-text offsets. A plain class, not a NamedTuple: compiled
    (monitor/compiled.py) it is a native class, whose constructor and fields cost a few
    machine instructions, where a NamedTuple's __new__ runs as interpreted Python; scans
    make them by the thousand per text."""

    __slots__ = ("end", "entity", "how", "short", "start", "via")

    def __init__(self, entity: int, start: int, end: int, how: str, short: bool = False,
                 via: str = "") -> None:
        self.entity = entity
        self.start = start
        self.end = end
        self.how = how
        self.short = short
        self.via = via

    def _fields(self) -> tuple[int, int, int, str, bool, str]:
        return self.entity, self.start, self.end, self.how, self.short, self.via

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Span) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (f"Span(entity={self.entity!r}, start={self.start!r}, end={self.end!r}, "
                f"how={self.how!r}, short={self.short!r}, via={self.via!r})")


class _Node:
    """A trie node over name tokens: edges keyed by ("=", ortho) or ("~", skeleton)."""

    __slots__ = ("edges", "ends")

    def __init__(self) -> None:
        self.edges: dict[tuple[str, str], _Node] = {}
        # (entity, alias, its normalised key, whether it starts with an article)
        self.ends: list[tuple[int, str, str, bool]] = []


class _Step(NamedTuple):
    """Where a walk goes from some trie nodes by one text token."""

    nodes: tuple[_Node, ...]  # none: the walk ends
    ends: tuple[tuple[int, str, str, bool], ...]  # the names ending there (see _Node.ends)
    more: bool  # whether a longer name can follow


class NameTrie:
    """Multi-word Latin names by token keys; `scan` finds them, variant spellings included.
    Build with `add`, then scan from any number of threads."""

    def __init__(self) -> None:
        self._root = _Node()
        # word -> can it start a name (_can_start); (trie nodes, token) -> the step a walk
        # takes (_learn_step). Replaced, not cleared, when full: a scan in another thread
        # keeps a consistent one.
        self._verdicts: dict[str, bool] = {}
        self._steps: dict[tuple[tuple[_Node, ...], str], _Step] = {}

    def __bool__(self) -> bool:
        return bool(self._root.edges)

    def add(self, tokens: list[str], end: tuple[int, str, str, bool]) -> None:
        """Index a name by its tokens (articles dropped); `end`: (entity, alias, normalised
        key, whether the alias starts with an article)."""
        node = self._root
        for token in tokens:
            # One child per token, reachable by its skeleton (long tokens) and by its
            # orthographic key; the text token must agree on one of them at every step.
            keys = token_keys(token)
            child = node.edges.get(keys[-1]) or node.edges.get(keys[0]) or _Node()
            for k in keys:
                node.edges.setdefault(k, child)
            node = child
        if end not in node.ends:
            node.ends.append(end)

    def scan(self, text: str, normalised: Normalised, cased: str | None) -> list[Span]:
        """Variant spellings of multi-word Latin names, walked in the trie from each
        capitalised token that can start one (`cased`: see Normalised.cased)."""
        if cased is None:
            starts = self._name_starts_exact(text, normalised)
        else:
            starts = self._name_starts(cased)
        spans: list[Span] = []
        for at in starts:
            spans.extend(self._walk(text, normalised, at))
        return spans

    def _name_starts(self, cased: str) -> Iterator[int]:
        """Where a walk starts: a capitalised token that can start a watched name.

        Only from a capital: names are capitalised in English, while trigger words such as
        "said" (Said al-Shuhada) or "state" fill running text in lower case. `cased` (the
        normalised text with its capitals) lets one regex pass visit the capitalised words
        alone, so the lower-case majority of the text never becomes Python objects.
        """
        verdicts = self._verdicts
        for start, word in capitalised_words(cased):
            verdict = verdicts.get(word)
            if verdict is None:
                verdict = self._can_start(word)
            if verdict and (start == 0 or not cased[start - 1].isalnum()):  # not "McDonald"
                yield start  # (the regex ends it at a word end)

    def _name_starts_exact(self, text: str, normalised: Normalised) -> Iterator[int]:
        """`_name_starts` for a text the fast normalisation could not take (no `cased`): every
        token of the text, checked for a capital through the offset map. Also the reference
        the tests hold `_name_starts` to."""
        data = normalised.text.encode("utf-8", "surrogatepass")
        tokens = {t.decode() for t in data.translate(_LATIN_ONLY, b"\x00").split()}
        for word in tokens:
            known = self._verdicts.get(word)
            if not (self._can_start(word) if known is None else known):
                continue
            for at in _token_occurrences(normalised.text, word):
                if text[normalised.original(at)].isupper():
                    yield at

    def _can_start(self, word: str) -> bool:
        """Whether `word` can start a watched name: decided once, then remembered."""
        if len(self._verdicts) > _TOKEN_CACHE_LIMIT:
            self._verdicts = {}  # replaced, not cleared: a scan in another thread keeps its own
        edges = self._root.edges
        verdict = self._verdicts[word] = any(k in edges for k in token_keys(word.lower()))
        return verdict

    def _walk(self, text: str, normalised: Normalised, start: int) -> list[Span]:
        """Names in the trie that start at normalised index `start` (a trigger token)."""
        norm = normalised.text
        size = len(norm)
        steps = self._steps
        nodes: tuple[_Node, ...] = (self._root,)
        pos, matched, after_article = start, 0, False
        spans: list[Span] = []
        while pos < size:
            end = norm.find(" ", pos)
            if end < 0:
                end = size
            token = norm[pos:end]
            if not (token.isascii() and token.isalnum()):  # (a plain token is cheaper so)
                m = _LATIN_WORD.match(norm, pos)
                if m is None:
                    break
                end = m.end()
                if end < size and norm[end].isalnum():
                    break  # glued to a non-Latin letter
                token = m.group()
            if matched and not after_article and token in ARTICLES:
                after_article = True  # "as-Sadr", "al Khazali": the article is optional
            else:
                step = steps.get((nodes, token))
                if step is None:
                    step = self._learn_step(nodes, token)
                if not step[0] and matched and token.endswith("s") and is_possessive(
                        text, normalised, end - 1):
                    step, end, size = self._learn_step(nodes, token[:-1]), end - 1, end - 1
                nxt, ends, more = step
                if not nxt:
                    break
                nodes, matched, after_article = nxt, matched + 1, False
                if ends:
                    spans.extend(_variant_spans(text, normalised, start, end, ends))
                if not more:
                    break  # most names: without reading the word after them
            if end >= size or norm[end] != " ":
                break
            pos = end + 1
        return spans

    def _learn_step(self, nodes: tuple[_Node, ...], token: str) -> _Step:
        """`_advance`, remembered: a walk's steps repeat (the same given names, the same
        words after them), and a dict lookup is several times cheaper than computing the
        token's keys and following the edges."""
        if len(self._steps) > _STEP_CACHE_LIMIT:
            self._steps = {}  # replaced, not cleared: a walk in another thread keeps its own
        nxt = tuple(_advance(nodes, token))
        step = self._steps[nodes, token] = _Step(
            nxt, tuple(end for node in nxt for end in node.ends), any(n.edges for n in nxt))
        return step


# The capitalised words of the last text asked for, by identity: a text's two tries (its
# own-script names and, with cross-script matching, its Arabic names) walk from the same
# words, and finding them is one regex pass over the whole text.
_last_words: tuple[str, list[tuple[int, str]]] | None = None


def capitalised_words(cased: str) -> list[tuple[int, str]]:
    """(start, word) of each capitalised word of `cased` followed by another word."""
    global _last_words
    last = _last_words
    if last is not None and last[0] is cased:
        return last[1]
    if cased.isascii():
        # sre tests a character class at every position (~8 ns per character) but skips
        # to a literal first character several times faster: mark the capitals with \x00
        # (never in normalised fast-path text) at str.translate's ASCII speed.
        found = _MARKED_CAPITALISED.finditer(cased.translate(_MARK_CAPITALS))
    else:
        found = _CAPITALISED.finditer(cased)
    # (cased[start:end], not m.group(): that is the marked copy)
    words = [(m.start(), cased[m.start():m.end()]) for m in found]
    _last_words = (cased, words)
    return words


def _token_occurrences(text: str, word: str) -> Iterator[int]:
    """Starts of `word` as a whole token of `text`. str.find, not a regex per word: a C
    substring search is several times faster, and the few hits inside longer words are
    rejected by the boundary checks."""
    size = len(word)
    at = text.find(word)
    while at >= 0:
        after = at + size
        if (at == 0 or not text[at - 1].isalnum()) and (
                after == len(text) or not text[after].isalnum()):
            yield at
        at = text.find(word, after)


def _variant_spans(text: str, normalised: Normalised, start: int, end: int,
                   ends: Iterable[tuple[int, str, str, bool]]) -> Iterator[Span]:
    """The spans of the names that end at a trie node (`ends`), found by a walk from the
    normalised index `start` to `end`."""
    norm = normalised.text
    orig_end = normalised.original(end - 1) + 1
    orig_starts: dict[int, int] = {}  # the same one or two starts for every name here
    for entity, alias, key, leading_article in ends:
        begin = _include_article(norm, start) if leading_article else start
        orig_start = orig_starts.get(begin)
        if orig_start is None:
            orig_start = orig_starts[begin] = normalised.original(begin)
        if text[orig_start:orig_end] == alias:
            how = "exact"
        else:
            how = "normalised" if norm[begin:end] == key else "variant"
        yield Span(entity, orig_start, orig_end, how, False, alias)


def _advance(nodes: Sequence[_Node], token: str) -> list[_Node]:
    """The trie nodes reached from `nodes` by a text token (by any of its keys)."""
    keys = token_keys(token)
    if len(nodes) == 1:
        edges = nodes[0].edges
        out = [child for k in keys if (child := edges.get(k)) is not None]
    else:
        out = [child for node in nodes for k in keys if (child := node.edges.get(k)) is not None]
    if len(out) > 1 and out[0] is out[1]:
        return out[:1]  # the ortho and skeleton keys of one token lead to one child
    return list({id(n): n for n in out}.values()) if len(out) > 1 else out


def _include_article(norm: str, start: int) -> int:
    """Move `start` back over an article token right before it ("al Fayyadh")."""
    if start < 3 or norm[start - 1] != " ":
        return start
    k = start - 1
    while k > 0 and "a" <= norm[k - 1] <= "z":
        k -= 1
    if norm[k:start - 1] in ARTICLES and (k == 0 or not norm[k - 1].isalnum()):
        return k
    return start


def is_possessive(text: str, normalised: Normalised, end: int) -> bool:
    """True when the normalised text at `end` is the "s" of an "'s" whose apostrophe
    normalisation removed (so "al-Sadr's" still ends a token after "al-Sadr")."""
    norm = normalised.text
    if norm[end] != "s" or (end + 1 < len(norm) and norm[end + 1].isalnum()):
        return False
    gap = text[normalised.original(end - 1) + 1:normalised.original(end)]
    return any(ch in APOSTROPHES for ch in gap)
