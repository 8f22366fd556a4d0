"""Find watchlist entities in text.

Build once, match many times. Per text (see `Matcher._scan`), after one normalisation
(normalize.py; its fast path also yields `cased`, the normalised text with its capitals):

* Every alias, short form and ``exclude`` phrase is normalised and put into ONE Aho-Corasick
  automaton (automaton.py, a Rust DFA), which returns every occurrence of every key in the
  normalised text in one C call, whatever the watchlist size; Python only looks at those.
  Arabic keys also match after proclitics (و ف ب ك ل, لل): the automaton holds the bare key
  (and for لل the key without its alef) and the scan checks the one or two letters before
  a match inside a word against the proclitics allowed for that key, which keeps the
  automaton 5x smaller than indexing all 12 forms of every key. The other case forms of a
  kunya (أبو/أبا/أبي) are indexed as keys of their own.
* Acronyms (``AAH``, ``PMF``: 2-6 capital Latin letters) are matched case-sensitively as whole
  tokens of the original text ("jam" is not "JAM"), found through the set of its
  capital-letter runs.
* Transliteration variants (see variants.py): multi-word Latin names of actors and places sit
  in a trie keyed per token by orthographic and skeleton keys. A walk starts only at a
  capitalised word followed by another word (English writes names with capitals; "said" or
  "state" in running text would otherwise start one): one regex pass over `cased` visits
  just those words, with a per-word verdict (can it start a name?) cached across texts.
  The walk follows the text's tokens through the trie, each step (nodes, token) -> nodes
  remembered too, and stops as soon as no longer name can follow.

Texts and capitals: a text without any capital (Arabic) has neither variant names nor
acronyms, so both scans are skipped. A text the fast normalisation cannot take (it holds
U+0000) has no `cased`; its walks start from every token, checked for a capital through
the offset map (`_name_starts_exact`, also the reference the tests hold the fast scan to).

``how`` on a match: "exact" (the text is the alias as configured), "normalised" (equal after
normalize()), or "variant" (equal only after transliteration folding: optional article,
doubled letters, consonant skeleton, kunya case). A short form's hit carries the same values;
that it was a short form shows in the matched text (a bare surname).

Article-level decisions (same for `find` on one text and `match_article` on title + body):

* ``short`` forms (bare surnames) count only when a full alias of the same entity matched in
  the same article, and not when an unknown capitalised word stands right before them
  ("Mohammed Baqir al-Sadr", "Laith al-Khazali") or they lie inside another entity's match.
* Rules (rules.py) are evaluated over the whole article and reported as kind "rule".

Other decisions (tested in tests/test_matcher.py): a proclitic is not part of the reported
span; an English possessive does not break a match; for one entity the longest match at a
place wins, while different entities may overlap (``exclude`` removes unwanted ones); an
alias ending in ``*`` is a prefix.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ..config import Entity, Rule
from ..models import Hit, Match
from . import rules as rq
from .automaton import Automaton
from .normalize import APOSTROPHES, Normalised, normalize, normalize_text
from .snippet import make_snippet
from .variants import (
    ARTICLES,
    COMMON_WORDS,
    article_flags,
    glued_forms,
    kunya_forms,
    name_tokens,
    token_keys,
)

__all__ = ["Matcher"]

_ACRONYM = re.compile(r"[A-Z]{2,6}")
MIN_ALIAS_CHARS = 3
VARIANT_KINDS = frozenset({"actor", "place"})  # keywords are English words, not names

# Arabic proclitics: an optional conjunction, then an optional preposition.
_CONJUNCTIONS = ("", "و", "ف")
_PREPOSITIONS = ("", "ب", "ك", "ل")
_ARTICLE = "ال"

_LATIN_WORD = re.compile(r"[a-z0-9]+")
# A capitalised Latin word in `cased` text, followed by a space and another Latin word: every
# name in the trie has 2+ words, so a word before punctuation cannot start one.
_CAPITALISED = re.compile(r"[A-Z][A-Za-z0-9]*(?= [A-Za-z0-9])")
_MARK_CAPITALS = str.maketrans(dict.fromkeys(range(65, 91), "\x00"))
# _CAPITALISED, after _MARK_CAPITALS
_MARKED_CAPITALISED = re.compile("\x00[\x00a-z0-9]*(?= [\x00a-z0-9])")
_WORDS = re.compile(r"[^\W_]+")  # tokens of the original text, for NEAR distances
# bytes.translate tables: keep only what the token sets need, everything else is a space.
_LATIN_ONLY = bytes(c if chr(c).isascii() and chr(c).isalnum() and not chr(c).isupper()
                    else 32 for c in range(256))
_CAPITALS_ONLY = bytes(c if 65 <= c <= 90 else 32 for c in range(256))
_TOKEN_CACHE_LIMIT = 200_000
_STEP_CACHE_LIMIT = 100_000

# Capitalised words that may stand before a bare surname without making it another person.
_NOT_GIVEN_NAMES = frozenset({
    "the", "a", "an", "and", "but", "or", "of", "in", "on", "at", "by", "for", "with", "to",
    "from", "as", "that", "said", "says", "told", "when", "while", "after", "before", "then",
    "sheikh", "shaykh", "sayyid", "sayed", "sayyed", "seyed", "cleric", "leader", "mr", "dr",
    "hajj", "haj", "imam", "ayatollah", "grand", "minister", "commander", "chief", "president",
    "premier", "pm", "gen", "general", "brother", "his", "her", "their", "our", "spokesman",
    "secretary", "influential", "shiite", "shia", "sadrist", "populist", "militia", "however",
    "meanwhile", "if", "also", "both", "since", "mp", "sen", "rep", "prof",
    # sentence openers (a capital at the start of a sentence is not a given name)
    "later", "earlier", "today", "yesterday", "now", "there", "here", "so", "yet", "still",
    "instead", "separately", "moreover", "furthermore", "indeed", "thus", "accordingly",
    "nevertheless", "again", "once", "only", "even", "why", "how", "what", "where",
    "this", "these", "those", "it", "he", "she", "they", "we", "i", "you",
})


@dataclass(frozen=True)
class _Entry:
    """What one automaton key stands for."""

    entity: int  # index into Matcher._entities
    alias: str  # the alias as configured (for `how` and messages)
    prefix: bool  # alias ended with "*": extend the match to the end of the word
    exclude: bool  # an exclude phrase of the entity, not an alias
    short: bool = False  # a surname-only form: needs a full alias in the same article
    variant: bool = False  # a derived form (kunya case): reported as how="variant"


class _Span(NamedTuple):
    """A candidate, in original-text offsets (a tuple: made by the thousand per text)."""

    entity: int
    start: int
    end: int
    how: str
    short: bool = False


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


@dataclass
class _Field:
    """One text of an article (title or body) while it is being matched."""

    name: str
    text: str
    normalised: Normalised | None = None
    spans: list[_Span] = field(default_factory=list)
    token_starts: list[int] | None = None  # lazily, for NEAR


def _is_arabic(key: str) -> bool:
    return "\u0600" <= key[0] <= "\u06ff"


def _proclitic_forms(key: str) -> Iterator[tuple[str, str]]:
    """(proclitic, rest) of each prefixed form of an Arabic key: the form is proclitic + rest,
    and rest is what the automaton looks for."""
    for conj in _CONJUNCTIONS:
        for prep in _PREPOSITIONS:
            if not conj and not prep:
                continue
            if prep == "ل" and key.startswith(_ARTICLE):
                # لِ + الحشد is written للحشد: the article's alef disappears.
                yield conj + "ل", key[1:]
            else:
                yield conj + prep, key


def _token_prefix(norm: str, start: int) -> str | None:
    """The characters of the token that `start` lies in before `start` (norm[start - 1] is
    alphanumeric), or None when there are more than a proclitic's two."""
    if start >= 2 and norm[start - 2].isalnum():
        if start >= 3 and norm[start - 3].isalnum():
            return None
        return norm[start - 2:start]
    return norm[start - 1]


def _word_pattern(normalised_term: str) -> re.Pattern[str]:
    """Search for a normalised term ending a word; a trailing * makes it a prefix. The start
    of the word is checked by `_word_starts` (a pattern that begins with a look-behind loses
    sre's fast literal-prefix search)."""
    prefix = normalised_term.endswith("*")
    stem = re.escape(normalised_term.rstrip("*").strip())
    return re.compile(stem + (r"[^\W_]*" if prefix else "") + r"(?![^\W_])")


def _word_starts(pattern: re.Pattern[str], literal: str, text: str
                 ) -> Iterator[re.Match[str]]:
    """Matches of `pattern` (which begins with `literal`) in `text` that start a word."""
    if literal not in text:
        return  # str's C search rules out most texts several times faster than sre
    for m in pattern.finditer(text):
        start = m.start()
        if start == 0 or not (text[start - 1].isalnum()):
            yield m


class Matcher:
    """Finds the entities of a watchlist in text. Build once; `find` is thread-safe."""

    def __init__(self, entities: Iterable[Entity], rules: Iterable[Rule] = ()):
        self._entities: list[Entity] = list(entities)
        self.problems: list[str] = []
        # automaton key -> proclitic ("" for none) that must precede it in its token ->
        # what a match stands for. Proclitic forms are checked at match time rather than
        # indexed whole: 12 forms of every Arabic key made a 5x larger automaton.
        self._keys: dict[str, dict[str, list[_Entry]]] = {}
        self._acronyms: dict[str, list[_Entry]] = {}
        # (form, key) -> (entity index, alias) that claimed it first, to report collisions;
        # form is "acronym", "prefix", "variant" or "" since those never meet in a match.
        self._owners: dict[tuple[str, str], tuple[int, str]] = {}
        self._reported: set[tuple[str, int]] = set()  # (key, entity): one problem each
        self._root = _Node()
        for index, entity in enumerate(self._entities):
            self._add_entity(index, entity)
        self._automaton = self._build(self._keys)
        # by key index: (entries at a token start, entries by proclitic or None)
        self._entries = [_split_proclitics(by_proclitic) for by_proclitic in self._keys.values()]
        self._acronym_bytes = {key.encode(): key for key in self._acronyms}
        # Latin token (bytes) -> known; and the subset that can start a name. Replaced, not
        # cleared, when full, so a thread holding the old pair still sees a consistent one.
        self._verdicts: dict[str, bool] = {}  # word -> can it start a name (_can_start)
        # (trie nodes, token) -> the nodes a walk reaches next (see `_learn_step`)
        self._steps: dict[tuple[tuple[_Node, ...], str], _Step] = {}
        self._names: dict[str, set[int]] = {}
        for index, entity in enumerate(self._entities):
            self._names.setdefault(normalize(entity.name)[0].strip(), set()).add(index)
        self._rules: list[tuple[Rule, rq.Node]] = []
        self._term_patterns: dict[str, tuple[re.Pattern[str], str]] = {}  # and its literal
        self._term_entities: dict[str, set[int]] = {}
        for rule in rules:
            self._add_rule(rule)

    # ------------------------------------------------------------ building

    def _add_entity(self, index: int, entity: Entity) -> None:
        for alias in dict.fromkeys(entity.aliases):
            if _ACRONYM.fullmatch(alias):
                self._add_acronym(index, alias)
            else:
                self._add_alias(index, entity, alias, exclude=False)
        for alias in dict.fromkeys(entity.short):
            self._add_alias(index, entity, alias, exclude=False, short=True)
        for phrase in dict.fromkeys(entity.exclude):
            self._add_alias(index, entity, phrase, exclude=True)
        # Kunya case forms last, so a form also listed as written keeps how="exact".
        for alias in dict.fromkeys((*entity.aliases, *entity.short)):
            key = normalize(alias)[0].strip()
            if key and _is_arabic(key):
                for form in kunya_forms(key):
                    self._index(index, alias, form, prefix=False, exclude=False,
                                short=alias not in entity.aliases, variant=True)

    def _add_acronym(self, index: int, alias: str) -> None:
        owner = self._owners.setdefault(("acronym", alias), (index, alias))
        if owner[0] != index:
            self._collision(owner, index, alias, alias, "the same")
        entry = _Entry(index, alias, prefix=False, exclude=False)
        self._acronyms.setdefault(alias, []).append(entry)

    def _add_alias(self, index: int, entity: Entity, alias: str, *, exclude: bool,
                   short: bool = False) -> None:
        prefix = not exclude and alias.endswith("*")
        key = normalize(alias.rstrip("*") if prefix else alias)[0].strip()
        what = "exclude phrase" if exclude else ("short form" if short else "alias")
        if not key:
            self.problems.append(f"{entity.kind} {entity.name!r}: {what} {alias!r} is empty "
                                 "after normalisation; ignored")
            return
        if not exclude:
            self._check_alias(index, entity, alias, key, prefix, what, short)
        self._index(index, alias, key, prefix=prefix, exclude=exclude, short=short)
        if not (exclude or prefix or short) and entity.kind in VARIANT_KINDS:
            self._add_variant(index, alias, key)

    def _index(self, index: int, alias: str, key: str, *, prefix: bool, exclude: bool,
               short: bool, variant: bool = False) -> None:
        forms = [("", key)]
        if _is_arabic(key):
            forms.extend(_proclitic_forms(key))
        for proclitic, rest in forms:
            entries = self._keys.setdefault(rest, {}).setdefault(proclitic, [])
            # Two aliases of one entity may normalise alike ("Asa'ib", "Asaib"): keep one.
            if not any(e.entity == index and e.exclude == exclude and e.prefix == prefix
                       for e in entries):
                entries.append(_Entry(index, alias, prefix, exclude, short, variant))

    def _check_alias(self, index: int, entity: Entity, alias: str, key: str, prefix: bool,
                     what: str, short: bool) -> None:
        if len(key) < MIN_ALIAS_CHARS:
            self.problems.append(
                f"{entity.kind} {entity.name!r}: {what} {alias!r} is too short "
                f"({len(key)} characters after normalisation) and will match unrelated "
                "words; write acronyms in capitals (e.g. KH) to match them case-sensitively")
        elif key in COMMON_WORDS:
            self.problems.append(
                f"{entity.kind} {entity.name!r}: {what} {alias!r} is a common word and will "
                "match unrelated text; use a longer phrase")
        if short:
            return  # short forms are shared on purpose (Qais and Laith al-Khazali)
        owner = self._owners.setdefault(("prefix" if prefix else "", key), (index, alias))
        if owner[0] != index:
            self._collision(owner, index, alias, key, "the same after normalisation")

    def _add_variant(self, index: int, alias: str, key: str) -> None:
        """Put a multi-word Latin name into the token trie (with its glued-article forms)."""
        tokens = name_tokens(key)
        if tokens is None or len(tokens) < 2:
            return  # single-token names match only as written or normalised
        words, had_article = article_flags(key)
        leading_article = key.split()[0] in ARTICLES
        folded = " ".join(next((k for s, k in token_keys(t) if s == "~"), t) for t in tokens)
        owner = self._owners.setdefault(("variant", folded), (index, alias))
        if owner[0] != index and (key, index) not in self._reported:
            self._collision(owner, index, alias, folded, "the same after transliteration "
                            "folding")
        for form in [words, *glued_forms(words, had_article)]:
            self._trie_add(form, (index, alias, key, leading_article))

    def _trie_add(self, tokens: list[str], end: tuple[int, str, str, bool]) -> None:
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

    def _collision(self, owner: tuple[int, str], index: int, alias: str, key: str,
                   how: str) -> None:
        if (key, index) in self._reported:
            return
        self._reported.add((key, index))
        first, second = self._entities[owner[0]], self._entities[index]
        self.problems.append(
            f"alias {alias!r} of {second.kind} {second.name!r} and alias {owner[1]!r} of "
            f"{first.kind} {first.name!r} are {how} ({key!r}); "
            "both entities will be reported for it")

    def _add_rule(self, rule: Rule) -> None:
        try:
            node = rq.parse_rule(rule.query)
        except ValueError as exc:
            self.problems.append(f"rule {rule.name!r}: {exc}; ignored")
            return
        self._rules.append((rule, node))
        for term in rq.terms(node):
            norm = normalize(term.text)[0].strip()
            self._term_entities[term.text] = self._names.get(norm, set())
            if norm.rstrip("*").strip():
                self._term_patterns[term.text] = (_word_pattern(norm), norm.rstrip("*").strip())

    @staticmethod
    def _build(keys: dict[str, dict[str, list[_Entry]]]) -> Automaton | None:
        return Automaton(list(keys)) if keys else None

    # ------------------------------------------------------------ public API

    def find(self, text: str) -> list[Match]:
        """Every watchlist mention in `text` (one article), sorted by start; offsets index
        `text` as given. Rule hits are included with kind "rule"."""
        if not text:
            return []
        (f,) = self._article([_Field("body", text)])
        return self._matches(f)

    def hits(self, text: str, field: str = "body") -> list[Hit]:
        """`find`, with the sentence around each match as a snippet.

        `field` ("title" or "body") is recorded on each Hit: it says which text the offsets
        index.
        """
        return [_hit(text, m, field) for m in self.find(text)]

    def match_article(self, title: str | None, body: str) -> list[Hit]:
        """Hits in an article's title and body, decided once for the whole article (short
        forms licensed by a full name in either; rules over both). Offsets index each hit's
        own field."""
        fields = self._article([_Field("title", title or ""), _Field("body", body or "")])
        return [_hit(f.text, m, f.name) for f in fields for m in self._matches(f)]

    # ------------------------------------------------------------ per article

    def _article(self, fields: list[_Field]) -> list[_Field]:
        for f in fields:
            if f.text:
                f.normalised, f.spans = self._scan(f.text)
        licensed = {s.entity for f in fields for s in f.spans if not s.short}
        for f in fields:
            full = [s for s in f.spans if not s.short]
            f.spans = [s for s in f.spans if not s.short or (
                s.entity in licensed and not _blocked(f.text, s, full))]
        rule_spans = self._evaluate_rules(fields)
        for f, spans in zip(fields, rule_spans, strict=True):
            f.spans.extend(spans)
        return fields

    def _matches(self, f: _Field) -> list[Match]:
        out = []
        for span in sorted(f.spans, key=lambda s: s.start):
            if span.entity >= 0:
                entity = self._entities[span.entity]
                name, kind = entity.name, entity.kind
            else:
                name, kind = self._rules[-span.entity - 1][0].name, "rule"
            out.append(Match(entity=name, kind=kind, text=f.text[span.start:span.end],
                             start=span.start, end=span.end, how=span.how))
        return out

    def _scan(self, text: str) -> tuple[Normalised, list[_Span]]:
        normalised = normalize_text(text)
        spans, excluded = self._scan_normalised(text, normalised)
        cased = normalised.cased()
        # Variant names and acronyms start with a capital: a text without any (Arabic) has
        # none. (cased is None: not known.)
        if cased != normalised.text:
            spans.extend(self._scan_variants(text, normalised, cased))
            spans.extend(self._scan_acronyms(text))
        return normalised, _drop_contained(_drop_excluded(spans, excluded))

    # ------------------------------------------------------------ scans

    def _scan_normalised(self, text: str, normalised: Normalised
                         ) -> tuple[list[_Span], dict[int, list[tuple[int, int]]]]:
        """Alias matches and exclude-phrase occurrences (by entity), in original offsets."""
        spans: list[_Span] = []
        excluded: dict[int, list[tuple[int, int]]] = {}
        if self._automaton is None:
            return spans, excluded
        norm, original = normalised.text, normalised.original
        size = len(norm)
        entries_of = self._entries
        for index, start, match_end in self._automaton.find(norm):
            at_token_start, by_proclitic = entries_of[index]
            if start == 0 or not norm[start - 1].isalnum():
                entries = at_token_start
            elif by_proclitic is None:
                continue  # inside a word
            else:  # inside a word, unless what precedes it there is a proclitic ("والحشد")
                entries = by_proclitic.get(_token_prefix(norm, start), ())
            if not entries:
                continue
            orig_start = original(start)
            for entry in entries:
                end = match_end
                if entry.prefix:
                    while end < size and norm[end].isalnum():
                        end += 1
                elif end < size and norm[end].isalnum() and not _is_possessive(
                        text, normalised, end):
                    continue
                orig_end = original(end - 1) + 1
                if entry.exclude:
                    excluded.setdefault(entry.entity, []).append((orig_start, orig_end))
                else:
                    how = _how(text[orig_start:orig_end], entry)
                    spans.append(_Span(entry.entity, orig_start, orig_end, how, entry.short))
        return spans, excluded

    def _scan_acronyms(self, text: str) -> Iterator[_Span]:
        if not self._acronyms:
            return
        capitals = text.encode("utf-8", "surrogatepass").translate(_CAPITALS_ONLY).split()
        size = len(text)
        for token in set(capitals).intersection(self._acronym_bytes):
            acronym = self._acronym_bytes[token]
            start = text.find(acronym)
            while start >= 0:
                end = start + len(acronym)
                # "jam" in "pajamas", "PMF" in "PMFs"
                if not ((start > 0 and text[start - 1].isalnum())
                        or (end < size and text[end].isalnum())):
                    for entry in self._acronyms[acronym]:
                        yield _Span(entry.entity, start, end, "exact")
                start = text.find(acronym, end)

    def _scan_variants(self, text: str, normalised: Normalised, cased: str | None
                       ) -> list[_Span]:
        """Variant spellings of multi-word Latin names, walked in the trie from each
        capitalised token that can start one (`cased`: see Normalised.cased)."""
        if not self._root.edges:
            return []
        if cased is None:
            starts = self._name_starts_exact(text, normalised)
        else:
            starts = self._name_starts(cased)
        spans: list[_Span] = []
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
        if cased.isascii():
            # sre tests a character class at every position (~8 ns per character) but
            # skips to a literal first character several times faster: mark the capitals
            # with \x00 (never in normalised fast-path text) at str.translate's ASCII speed.
            words = _MARKED_CAPITALISED.finditer(cased.translate(_MARK_CAPITALS))
        else:
            words = _CAPITALISED.finditer(cased)
        verdicts = self._verdicts
        for m in words:
            start, end = m.span()
            word = cased[start:end]  # (not m.group(): that is the marked copy)
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

    def _walk(self, text: str, normalised: Normalised, start: int) -> list[_Span]:
        """Names in the trie that start at normalised index `start` (a trigger token)."""
        norm = normalised.text
        size = len(norm)
        steps = self._steps
        nodes: tuple[_Node, ...] = (self._root,)
        pos, matched, after_article = start, 0, False
        spans: list[_Span] = []
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
                if not step[0] and matched and token.endswith("s") and _is_possessive(
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

    # ------------------------------------------------------------ rules

    def _evaluate_rules(self, fields: list[_Field]) -> list[list[_Span]]:
        out: list[list[_Span]] = [[] for _ in fields]
        if not self._rules:
            return out
        cache: dict[str, list[rq.Occurrence]] = {}

        def lookup(term: rq.Term) -> list[rq.Occurrence]:
            if term.text not in cache:
                cache[term.text] = self._term_occurrences(term.text, fields)
            return cache[term.text]

        for number, (_rule, node) in enumerate(self._rules):
            evidence = rq.evaluate(node, lookup)
            if evidence is None:
                continue
            first = min(evidence) if evidence else rq.Occurrence(len(fields) - 1, 0, 0, 0, 0)
            # A rule hit is as good as the rule: "exact" (its span shows the first term).
            out[first.field].append(_Span(-number - 1, first.start, first.end, "exact"))
        return out

    def _term_occurrences(self, term: str, fields: list[_Field]) -> list[rq.Occurrence]:
        """Where a rule term is true: hits of the entity it names, else the words in text."""
        entities = self._term_entities.get(term, set())
        found = [(i, s.start, s.end) for i, f in enumerate(fields) for s in f.spans
                 if s.entity in entities]
        search = self._term_patterns.get(term)
        if not found and search is not None:
            for i, f in enumerate(fields):
                if f.normalised is None:
                    continue
                for m in _word_starts(*search, f.normalised.text):
                    found.append((i, f.normalised.original(m.start()),
                                  f.normalised.original(m.end() - 1) + 1))
        return [rq.Occurrence(i, start, end, *_token_range(fields[i], start, end))
                for i, start, end in sorted(found)]


# ---------------------------------------------------------------- helpers


def _hit(text: str, m: Match, field: str) -> Hit:
    return Hit(entity=m.entity, kind=m.kind, matched_text=m.text, start=m.start, end=m.end,
               snippet=make_snippet(text, m.start, m.end), how=m.how, field=field)


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
                   ends: Iterable[tuple[int, str, str, bool]]) -> Iterator[_Span]:
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
        yield _Span(entity, orig_start, orig_end, how)


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


def _split_proclitics(by_proclitic: dict[str, list[_Entry]]
                      ) -> tuple[tuple[_Entry, ...], dict[str, tuple[_Entry, ...]] | None]:
    """An automaton key's entries as the scan wants them: (those valid at a token start,
    those valid after a proclitic, by proclitic; None when there are none)."""
    after = {p: tuple(entries) for p, entries in by_proclitic.items() if p}
    return tuple(by_proclitic.get("", ())), after or None


def _token_range(f: _Field, start: int, end: int) -> tuple[int, int]:
    if f.token_starts is None:
        f.token_starts = [m.start() for m in _WORDS.finditer(f.text)]
    first = bisect.bisect_right(f.token_starts, start) - 1
    last = bisect.bisect_right(f.token_starts, max(start, end - 1)) - 1
    return max(first, 0), max(last, 0)


def _blocked(text: str, span: _Span, full: list[_Span]) -> bool:
    """Whether a short-form match is someone else: inside another entity's name ("Laith
    al-Khazali"), or right after an unknown capitalised given name ("Mohammed Baqir al-Sadr")."""
    if any(f.entity != span.entity and f.start <= span.start and span.end <= f.end
           for f in full):
        return True
    end = span.start
    for _ in range(2):  # the word before, or the one before an article ("Baqir al Sadr")
        k = end
        while k > 0 and text[k - 1] in " -\u00a0\u2010\u2011":
            k -= 1
        if k == end:
            return False  # punctuation or start of text: nothing is glued to the name
        word_end = k
        while k > 0 and text[k - 1].isalpha():
            k -= 1
        word = text[k:word_end]
        if not word:
            return False
        if normalize(word)[0] in ARTICLES:
            end = k
            continue
        if not word[0].isupper() or word.lower() in _NOT_GIVEN_NAMES:
            return False
        return not any(f.entity == span.entity and f.start <= k < f.end for f in full)
    return False


def _is_possessive(text: str, normalised: Normalised, end: int) -> bool:
    """True when the normalised text at `end` is the "s" of an "'s" whose apostrophe
    normalisation removed (so "al-Sadr's" still ends a token after "al-Sadr")."""
    norm = normalised.text
    if norm[end] != "s" or (end + 1 < len(norm) and norm[end + 1].isalnum()):
        return False
    gap = text[normalised.original(end - 1) + 1:normalised.original(end)]
    return any(ch in APOSTROPHES for ch in gap)


def _how(original: str, entry: _Entry) -> str:
    if entry.prefix:
        return "exact" if original.startswith(entry.alias.rstrip("*")) else "normalised"
    if original == entry.alias:
        return "exact"
    return "variant" if entry.variant else "normalised"


def _drop_excluded(spans: list[_Span], excluded: dict[int, list[tuple[int, int]]]
                   ) -> list[_Span]:
    """Drop an entity's matches that lie inside one of its exclude phrases ("Sadr City")."""
    if not excluded:
        return spans
    # Per entity: exclude ranges sorted by start, with the furthest end reached so far, so
    # "is some range [lo, hi] around this span" is one bisection (articles may repeat a
    # phrase hundreds of times).
    index: dict[int, tuple[list[int], list[int]]] = {}
    for entity, ranges in excluded.items():
        ranges.sort()
        reach = list(itertools.accumulate((hi for _, hi in ranges), max))
        index[entity] = ([lo for lo, _ in ranges], reach)
    kept = []
    for span in spans:
        starts, reach = index.get(span.entity, ((), ()))
        i = bisect.bisect_right(starts, span.start) - 1
        if i < 0 or reach[i] < span.end:
            kept.append(span)
    return kept


# _Span fields: entity, short, then how ("exact" < "normalised" < "variant" as strings too)
_BY_ENTITY = operator.itemgetter(0, 4, 3)
_BY_END = operator.itemgetter(2)
_BY_START = operator.itemgetter(1)


def _drop_contained(spans: list[_Span]) -> list[_Span]:
    """Sort, de-duplicate, and drop matches inside a longer match of the same entity."""
    # Longest first at each start, so a containing span is seen before what it contains;
    # at the same place a full alias beats a short form, and exact beats normalised/variant.
    # Three stable C-keyed sorts, last key first: cheaper than one sort with a Python key.
    ordered = sorted(set(spans), key=_BY_ENTITY)
    ordered.sort(key=_BY_END, reverse=True)  # (reverse keeps equal keys in order)
    ordered.sort(key=_BY_START)
    kept: list[_Span] = []
    reach: dict[int, int] = {}  # entity -> furthest end of its kept spans
    for span in ordered:
        # Every kept span of this entity starts at or before this one, so reaching as far
        # means containing it. This also drops the same place found twice by two aliases.
        if reach.get(span.entity, -1) >= span.end:
            continue
        reach[span.entity] = max(reach.get(span.entity, -1), span.end)
        kept.append(span)
    return kept
