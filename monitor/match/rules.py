"""Rule queries: boolean expressions over watchlist entities and words.

Grammar (operators in capitals; anything else is a term)::

    query   := or
    or      := and ("OR" and)*
    and     := not ("AND" not)*
    not     := "NOT" not | near
    near    := primary ("NEAR/" n primary)?      n = how many tokens apart, at most
    primary := "(" query ")" | TERM
    TERM    := "quoted phrase" | bareword         (a trailing * makes a prefix: assassinat*)

A term is true in an article when it names (case-insensitively) a watchlist entity that has a
hit there, or else when it occurs as normalised text (whole words). A query that would be
true for an article containing none of its terms ("NOT football") is rejected: it would alert
on every article.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["And", "Near", "Not", "Occurrence", "Or", "Term", "evaluate", "parse_rule", "terms",
           "tokens_apart"]


@dataclass(frozen=True)
class Term:
    text: str
    position: int  # in the query, for messages


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class Near:
    left: Term
    right: Term
    distance: int


Node = Term | And | Or | Not | Near


@dataclass(frozen=True, order=True)
class Occurrence:
    """Where a term was found: `field` orders title before body; offsets index its text."""

    field: int
    start: int
    end: int


# ---------------------------------------------------------------- parsing

_TOKEN = re.compile(r'\s*(?:(?P<open>\()|(?P<close>\))|(?P<near>NEAR/\S*)'
                    r'|"(?P<quoted>[^"]*)(?P<endq>"?)|(?P<word>[^\s()"]+))')
_OPERATORS = ("AND", "OR", "NOT")


@dataclass(frozen=True)
class _Tok:
    kind: str  # ( ) NEAR AND OR NOT term
    value: str
    position: int
    distance: int = 0


def _lex(query: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None or m.end() == pos:
            break  # only trailing whitespace is left
        at = m.start(m.lastgroup) if m.lastgroup else pos
        if m.group("open"):
            tokens.append(_Tok("(", "(", at))
        elif m.group("close"):
            tokens.append(_Tok(")", ")", at))
        elif m.group("near") is not None:
            tokens.append(_near_token(m.group("near"), at))
        elif m.group("quoted") is not None:
            at = m.start("quoted") - 1
            if not m.group("endq"):
                raise ValueError(f"unterminated quote at position {at}")
            if not m.group("quoted").strip():
                raise ValueError(f"empty quoted term at position {at}")
            tokens.append(_Tok("term", m.group("quoted").strip(), at))
        else:
            word = m.group("word")
            tokens.append(_Tok(word if word in _OPERATORS else "term", word, at))
        pos = m.end()
    return tokens


def _near_token(text: str, at: int) -> _Tok:
    number = text[len("NEAR/"):]
    if not number.isdigit() or int(number) < 1:
        raise ValueError(f"{text!r} at position {at}: NEAR needs a distance of 1 or more "
                         "tokens, e.g. NEAR/10")
    return _Tok("NEAR", text, at, int(number))


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = _lex(query)
        self.index = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Tok:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise ValueError("the query is empty")
        node = self.parse_or()
        extra = self.peek()
        if extra is not None:
            if extra.kind == ")":
                raise ValueError(f"unbalanced parenthesis at position {extra.position}: "
                                 "')' without a matching '('")
            raise ValueError(f"missing operator before {extra.value!r} at position "
                             f"{extra.position} (join terms with AND, OR or NEAR/n, or quote "
                             "a phrase)")
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_not()]
        while (token := self.peek()) is not None and token.kind == "AND":
            self.take()
            items.append(self.parse_not())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_not(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "NOT":
            self.take()
            return Not(self.parse_not())
        return self.parse_near()

    def parse_near(self) -> Node:
        left = self.parse_primary()
        token = self.peek()
        if token is None or token.kind != "NEAR":
            return left
        self.take()
        right = self.parse_primary()
        for side in (left, right):
            if not isinstance(side, Term):
                raise ValueError(f"{token.value} at position {token.position} needs a single "
                                 "term on each side, not an expression")
        assert isinstance(left, Term) and isinstance(right, Term)
        return Near(left, right, token.distance)

    def parse_primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise ValueError(f"the query ends where a term was expected (position "
                             f"{len(self.query)})")
        if token.kind == "term":
            self.take()
            return Term(token.value, token.position)
        if token.kind == "(":
            self.take()
            node = self.parse_or()
            close = self.peek()
            if close is None or close.kind != ")":
                raise ValueError(f"unbalanced parenthesis at position {token.position}: "
                                 "'(' is never closed")
            self.take()
            return node
        if token.kind == ")":
            raise ValueError(f"a term was expected before ')' at position {token.position}")
        raise ValueError(f"{token.value} at position {token.position} has no term before it")


def parse_rule(query: str) -> Node:
    """Parse a rule query; raises ValueError naming what is wrong and where."""
    node = _Parser(query).parse()
    if evaluate(node, lambda term: [], ()) is not None:
        raise ValueError("the query is true for an article that contains none of its terms "
                         "(e.g. it is only NOT ...); it would match every article")
    return node


def terms(node: Node) -> list[Term]:
    """Every term of a query, in order."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return terms(node.item)
    if isinstance(node, Near):
        return [node.left, node.right]
    return [t for item in node.items for t in terms(item)]


# ---------------------------------------------------------------- evaluation

Lookup = Callable[[Term], list[Occurrence]]


def evaluate(node: Node, lookup: Lookup, texts: Sequence[str]) -> list[Occurrence] | None:
    """None when the query is false; else the occurrences that make it true (maybe none,
    e.g. under a double negation). `texts`: the fields the occurrences index (for NEAR)."""
    if isinstance(node, Term):
        found = lookup(node)
        return found or None
    if isinstance(node, Not):
        return [] if evaluate(node.item, lookup, texts) is None else None
    if isinstance(node, And):
        evidence: list[Occurrence] = []
        for item in node.items:
            result = evaluate(item, lookup, texts)
            if result is None:
                return None
            evidence.extend(result)
        return evidence
    if isinstance(node, Or):
        results = [evaluate(item, lookup, texts) for item in node.items]
        true = [r for r in results if r is not None]
        return [o for r in true for o in r] if true else None
    return _near(node, lookup, texts)


def _near(node: Near, lookup: Lookup, texts: Sequence[str]) -> list[Occurrence] | None:
    lefts = lookup(node.left)
    if not lefts:
        return None  # without looking the right term up: a search of the text saved
    rights = lookup(node.right)
    distance = node.distance
    pairs = [(a, b) for a in lefts for b in rights if a.field == b.field
             and tokens_apart(texts[a.field], a, b, distance) <= distance]
    if not pairs:
        return None
    return sorted({o for pair in pairs for o in pair})


_WORD = re.compile(r"[^\W_]+")  # a token: a run of letters and digits (str.isalnum)


def tokens_apart(text: str, a: Occurrence, b: Occurrence, limit: int) -> int:
    """Tokens of `text` from the token where the earlier of `a` and `b` ends to the token
    where the later starts: 1 when adjacent, 0 when in the same token or overlapping.

    Counted only up to `limit` + 1 (NEAR/limit asks whether it is at most `limit`), and only
    over the text between the two: numbering every token of the article cost more than the
    rest of rule evaluation. Text before the first token belongs to token 0."""
    if a.start > b.start:
        a, b = b, a
    last = max(a.start, a.end - 1)  # in the earlier one's last token
    if b.start <= last:
        return 0
    starts = 0  # tokens that start after `last`, up to b.start
    for m in _WORD.finditer(text, last + 1, b.start + 1):
        if m.start() == last + 1 and text[last].isalnum():
            continue  # the rest of the token `last` is in
        starts += 1
        if starts > limit + 1:
            break
    if starts and _WORD.search(text, 0, last + 1) is None:
        starts -= 1  # `last` lies before the first token, which is token 0 too
    return starts
