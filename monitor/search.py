"""Full-text search on the normalised text: query building and highlighting.

The `articles_search` FTS5 table holds titles and bodies normalised by
`monitor.match.normalize` (hamza/alef forms, harakat, taa marbuta, case and Latin accents
folded). A query is normalised the same way, so "أحمد", "احمد" and "أَحْمَد" find the same
articles. Highlights are placed in the ORIGINAL text: the terms are found in its normalised
form and mapped back through the normaliser's offset map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .match.normalize import normalize_text
from .match.snippet import ELLIPSIS, MAX_SNIPPET, excerpt

_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+")
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_ARABIC = re.compile(r"[\u0600-\u06ff]")
# Attached Arabic proclitics (conjunction, preposition, article) an FTS token may carry:
# "والعراق", "بالعراق", "للعراق" are single tokens, so the query asks for those forms too.
_PROCLITICS = ("و", "ف", "ب", "ل", "ك")
_PROCLITIC_RE = "(?:[وف]?[بلك]?(?:ال)?|لل)?"


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # normalised words; several: a phrase
    prefix: bool = False  # trailing * in the query


@dataclass(frozen=True)
class Query:
    fts: str  # the FTS5 MATCH expression over the normalised table
    terms: tuple[Term, ...]  # what to highlight


def _arabic_forms(word: str) -> list[str]:
    """The word with the proclitics Arabic writes attached to it."""
    if not _ARABIC.match(word):
        return [word]
    base = word[2:] if word.startswith("ال") and len(word) > 4 else word
    forms = [word, base, "ال" + base, "لل" + base]
    forms += [p + base for p in _PROCLITICS] + [p + "ال" + base for p in _PROCLITICS]
    return list(dict.fromkeys(forms))


def _fts_term(term: Term) -> str:
    star = "*" if term.prefix else ""
    if len(term.words) > 1:
        return '"' + " ".join(term.words) + '"' + star
    forms = _arabic_forms(term.words[0])
    quoted = [f'"{form}"{star}' for form in forms]
    return quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"


def parse(query: str) -> Query:
    """Turn what an analyst typed into a normalised FTS5 expression.

    Words are ANDed; "double quotes" make a phrase; AND, OR, NOT (in capitals) and a
    trailing * (prefix) work as in FTS5. Everything else is quoted, so punctuation in a
    query ("al-Sadr", "Asa'ib") can never be an FTS5 syntax error.
    """
    parts: list[str] = []
    terms: list[Term] = []
    for found in _TOKEN.finditer(query):
        phrase, word = found.group(1), found.group(2)
        if word in _OPERATORS:
            if parts and parts[-1] not in _OPERATORS:
                parts.append(word)
            continue
        raw = phrase if phrase is not None else word
        prefix = raw.endswith("*")
        words = tuple(_WORD.findall(normalize_text(raw.rstrip("*")).text))
        if not words:
            continue
        term = Term(words, prefix)
        terms.append(term)
        if parts and parts[-1] not in _OPERATORS:
            parts.append("AND")  # FTS5 has no implicit AND before a parenthesised group
        parts.append(_fts_term(term))
    while parts and parts[-1] in _OPERATORS:
        parts.pop()
    if not terms:
        raise ValueError(f"nothing to search for in {query!r}")
    return Query(" ".join(parts), tuple(terms))


def _pattern(terms: tuple[Term, ...]) -> re.Pattern[str]:
    alternatives = []
    for term in terms:
        body = r"\W+".join(re.escape(w) for w in term.words)
        proclitic = _PROCLITIC_RE if _ARABIC.match(term.words[0]) else ""
        tail = r"\w*" if term.prefix else ""
        alternatives.append(rf"(?<!\w){proclitic}{body}{tail}(?!\w)")
    return re.compile("|".join(alternatives))


def spans(text: str, terms: tuple[Term, ...]) -> list[tuple[int, int]]:
    """Where the terms occur in `text`, as (start, end) offsets of the original text."""
    if not text:
        return []
    normalised = normalize_text(text)
    out = []
    for m in _pattern(terms).finditer(normalised.text):
        start = normalised.original(m.start())
        end = normalised.original(m.end() - 1) + 1
        out.append((start, end))
    return out


def snippet(text: str, terms: tuple[Term, ...], limit: int = MAX_SNIPPET) -> str:
    """The sentence around the first match, every match in it marked ⟦like this⟧ (see
    monitor/match/snippet.py); the start of the text when nothing matches."""
    found = spans(text, terms)
    if found:
        return excerpt(text, *found[0], found, limit)
    if len(text) <= limit:
        return " ".join(text.split())
    cut = text.rfind(" ", 0, limit)
    return " ".join(text[:cut if cut > 0 else limit].split()) + ELLIPSIS
