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
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["And", "Near", "Not", "Occurrence", "Or", "Term", "evaluate", "parse_rule", "terms"]


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
    """Where a term was found: `field` orders title before body; tokens index `field`."""

    field: int
    start: int
    end: int
    first_token: int
    last_token: int


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
    if evaluate(node, lambda term: []) is not None:
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


def evaluate(node: Node, lookup: Lookup) -> list[Occurrence] | None:
    """None when the query is false; else the occurrences that make it true (maybe none,
    e.g. under a double negation)."""
    if isinstance(node, Term):
        found = lookup(node)
        return found or None
    if isinstance(node, Not):
        return [] if evaluate(node.item, lookup) is None else None
    if isinstance(node, And):
        evidence: list[Occurrence] = []
        for item in node.items:
            result = evaluate(item, lookup)
            if result is None:
                return None
            evidence.extend(result)
        return evidence
    if isinstance(node, Or):
        results = [evaluate(item, lookup) for item in node.items]
        true = [r for r in results if r is not None]
        return [o for r in true for o in r] if true else None
    return _near(node, lookup)


def _near(node: Near, lookup: Lookup) -> list[Occurrence] | None:
    lefts = lookup(node.left)
    if not lefts:
        return None  # without looking the right term up: a search of the text saved
    rights = lookup(node.right)
    pairs = [(a, b) for a in lefts for b in rights
             if a.field == b.field and _gap(a, b) <= node.distance]
    if not pairs:
        return None
    return sorted({o for pair in pairs for o in pair})


def _gap(a: Occurrence, b: Occurrence) -> int:
    """Tokens from the end of the earlier occurrence to the start of the later (1 = adjacent)."""
    if a.first_token > b.first_token:
        a, b = b, a
    return max(0, b.first_token - a.last_token)
