"""Find watchlist entities in text.

Build once, match many times. Per text (see `Matcher._scan`), after one normalisation
(normalize.py; its fast path also yields `cased`, the normalised text with its capitals):

* Every alias, short form and ``exclude`` phrase is normalised and put into ONE Aho-Corasick
  automaton (automaton.py, in Rust), which returns every occurrence of every key in the
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
  in a trie keyed per token by orthographic and skeleton keys, walked from the capitalised
  words of the text that can start a name (names.py).

Texts and capitals: a text without any capital (Arabic) has neither variant names nor
acronyms, so both scans are skipped. A text the fast normalisation cannot take (it holds
U+0000) has no `cased`; its walks start from every token, checked for a capital through
the offset map.

* Name forms nobody lists: English spellings, function words and Arabic article forms of
  aliases (aliasforms.py) and title + surname keys (titles.py) are automaton keys too; a
  person's surname is also an *anchor* at which names with inserted words (a father's name,
  Sayyid) are looked for (insertions.py); capitalised single words are compared with the
  place keys of single-word places (placeforms.py); and the few words around a short
  parenthesis are searched again without it (glosses.py).

``how`` on a match: "exact" (the text is the alias as configured), "normalised" (equal after
normalize()), "variant" (equal only after transliteration folding: optional article,
doubled letters, consonant skeleton, kunya case; or through a name form above), "title"
(a surname after one of its actor's titles), or "short form" (a bare surname, licensed
as below). ``via`` on a match: the alias as configured that made it (the acronym, the
short form; a rule's query). Why two keys were equal is not kept per match (the scan makes
thousands of candidates per text): explain.py derives it again from ``via`` and the matched
text, with the same functions, for `monitor match --explain`.

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

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..config import Entity, Rule
from ..models import Hit, Match
from . import rules as rq
from .aliasforms import arabic_article_forms, english_forms, surnames, title_keys
from .arabicwords import is_arabic
from .automaton import Automaton
from .crossscript import CrossScript
from .glosses import scan_glosses
from .insertions import Anchored, Anchors, anchors, head_key, with_inserted_words
from .names import NameTrie, Span, is_possessive
from .normalize import Normalised, normalize, normalize_text
from .overlaps import drop_contained, drop_excluded
from .placeforms import PlaceVariants, alias_guard, guard_ok
from .shortforms import short_form_blocked
from .snippet import make_snippet
from .titles import title_blocked
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

_CAPITALS_ONLY = bytes(c if 65 <= c <= 90 else 32 for c in range(256))


# Surname anchors found in a text: (anchor key, normalised start and end); insertions.py
_Anchored = list[tuple[str, int, int]]


@dataclass(frozen=True)
class _Entry:
    """What one automaton key stands for."""

    entity: int  # index into Matcher._entities
    alias: str  # the alias as configured (for `how` and messages)
    prefix: bool  # alias ended with "*": extend the match to the end of the word
    exclude: bool  # an exclude phrase of the entity, not an alias
    short: bool = False  # a surname-only form: needs a full alias in the same article
    variant: bool = False  # a derived form (kunya case): reported as how="variant"
    title: bool = False  # a title + surname key (titles.py): how="title"
    anchor: bool = False  # a surname anchor (insertions.py): names in Matcher._anchors[alias]
    guard: int = 0  # a single-word place that is an English word or short (placeforms.py)


@dataclass
class _Field:
    """One text of an article (title or body) while it is being matched."""

    name: str
    text: str
    normalised: Normalised | None = None
    spans: list[Span] = field(default_factory=list)


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

    def __init__(self, entities: Iterable[Entity], rules: Iterable[Rule] = (), *,
                 cross_script: bool = True):
        self._entities: list[Entity] = list(entities)
        self.problems: list[str] = []
        # Cross-script matching (crossscript.py); `advice` says what it cannot do.
        self._cross: CrossScript | None = CrossScript() if cross_script else None
        # automaton key -> proclitic ("" for none) that must precede it in its token ->
        # what a match stands for. Proclitic forms are checked at match time rather than
        # indexed whole: 12 forms of every Arabic key made a 5x larger automaton.
        self._keys: dict[str, dict[str, list[_Entry]]] = {}
        self._acronyms: dict[str, list[_Entry]] = {}
        # (form, key) -> (entity index, alias) that claimed it first, to report collisions;
        # form is "acronym", "prefix", "variant" or "" since those never meet in a match.
        self._owners: dict[tuple[str, str], tuple[int, str]] = {}
        self._reported: set[tuple[str, int]] = set()  # (key, entity): one problem each
        self._trie = NameTrie()  # multi-word Latin names, for variant spellings
        self._places = PlaceVariants()  # single-word Latin places, for variant spellings
        # surname anchor -> head_key of the word before the surname -> names (insertions.py)
        self._anchors: Anchors = {}
        for index, entity in enumerate(self._entities):
            self._add_entity(index, entity)
            if self._cross is not None and entity.kind in VARIANT_KINDS:
                self._cross.add_entity(index, entity)
        # Derived forms last: a form that is another entity's alias is that entity's.
        for index, entity in enumerate(self._entities):
            self._add_forms(index, entity)
        if self._cross is not None:
            self._cross.finish(self._entities)
        self.advice: list[str] = self._cross.advice if self._cross is not None else []
        self._automaton = self._build(self._keys)
        # by key index: (entries at a token start, entries by proclitic or None)
        self._entries = [_split_proclitics(by_proclitic) for by_proclitic in self._keys.values()]
        self._acronym_bytes = {key.encode(): key for key in self._acronyms}
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
            if key and is_arabic(key):
                for form in kunya_forms(key):
                    self._index(index, alias, form, prefix=False, exclude=False,
                                short=alias not in entity.aliases, variant=True)

    def _add_forms(self, index: int, entity: Entity) -> None:
        """Index the name forms nobody lists (aliasforms.py, insertions.py, titles.py)."""
        if entity.kind not in VARIANT_KINDS:
            return
        for alias in dict.fromkeys(entity.aliases):
            if _ACRONYM.fullmatch(alias) or alias.endswith("*"):
                continue
            key = normalize(alias)[0].strip()
            if not key:
                continue
            for form in (*english_forms(key), *arabic_article_forms(key)):
                if form not in self._keys or not self._owned_by_other(form, index):
                    self._index(index, alias, form, prefix=False, exclude=False,
                                short=False, variant=True)
            if entity.kind == "actor":
                for anchor, head in anchors(key):
                    names = self._anchors.setdefault(anchor, {})
                    if not names:  # one automaton entry per anchor, whatever shares it
                        self._index(-1, anchor, anchor, prefix=False, exclude=False,
                                    short=False, anchor=True)
                    names.setdefault(head_key(head[-1]), []).append(
                        Anchored(index, head, alias))
        if not entity.titles:
            return
        for key, form in title_keys(entity.titles, surnames(entity.aliases, entity.short)):
            self._index(index, form, key, prefix=False, exclude=False, short=False,
                        title=True)

    def _plain(self, index: int) -> Iterator[tuple[int, str]]:
        """(entity, alias) of the full aliases of automaton key `index` at a token start."""
        for entry in self._entries[index][0]:
            if not (entry.exclude or entry.short or entry.anchor or entry.title):
                yield entry.entity, entry.alias

    def _owned_by_other(self, key: str, index: int) -> bool:
        return any(e.entity not in (index, -1) and not e.exclude
                   for entries in self._keys.get(key, {}).values() for e in entries)

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
        guard = 0 if exclude else alias_guard(entity.kind, key)
        self._index(index, alias, key, prefix=prefix, exclude=exclude, short=short,
                    guard=guard)
        if not (exclude or prefix or short) and entity.kind in VARIANT_KINDS:
            self._add_variant(index, alias, key)
            if entity.kind == "place":
                self._places.add(index, alias, key)

    def _index(self, index: int, alias: str, key: str, *, prefix: bool, exclude: bool,
               short: bool, variant: bool = False, title: bool = False,
               anchor: bool = False, guard: int = 0) -> None:
        forms = [("", key)]
        if is_arabic(key) and not anchor:  # "والعلاق" is "and al-Allaq": no name before it
            forms.extend(_proclitic_forms(key))
        for proclitic, rest in forms:
            entries = self._keys.setdefault(rest, {}).setdefault(proclitic, [])
            # Two aliases of one entity may normalise alike ("Asa'ib", "Asaib"): keep one.
            if not any(e.entity == index and e.exclude == exclude and e.prefix == prefix
                       and e.title == title and e.anchor == anchor for e in entries):
                entries.append(_Entry(index, alias, prefix, exclude, short, variant, title,
                                      anchor, guard))

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
            self._trie.add(form, (index, alias, key, leading_article))

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
                s.entity in licensed and not short_form_blocked(f.text, s, full))]
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
            out.append(make_match(name, kind, f.text[span.start:span.end], span.start,
                                  span.end, span.how, span.via))
        return out

    def _scan(self, text: str) -> tuple[Normalised, list[Span]]:
        normalised = normalize_text(text)
        spans, excluded, anchored = self._scan_normalised(text, normalised)
        cased = normalised.cased()
        # Variant names and acronyms start with a capital: a text without any (Arabic) has
        # none. (cased is None: not known.)
        if cased != normalised.text:
            spans.extend(self._trie.scan(text, normalised, cased))
            spans.extend(self._scan_acronyms(text))
            if self._places and cased is not None:
                spans.extend(self._places.scan(cased, normalised.original))
        if "(" in normalised.text and self._automaton is not None:
            spans.extend(scan_glosses(text, normalised, self._automaton.find, self._plain))
        if anchored:
            spans.extend(with_inserted_words(text, normalised, cased, anchored, self._anchors,
                                             spans))
        # Across scripts last: a name matched in its own script wins at its place.
        if self._cross is not None:
            if cased != normalised.text:
                self._cross.scan_latin(text, normalised, cased, spans)
            self._cross.scan_arabic(text, normalised, spans, excluded)
        return normalised, drop_contained(drop_excluded(spans, excluded))

    # ------------------------------------------------------------ scans

    def _scan_normalised(self, text: str, normalised: Normalised
                         ) -> tuple[list[Span], dict[int, list[tuple[int, int]]], _Anchored]:
        """Alias matches, exclude-phrase occurrences (by entity), in original offsets, and
        the surname anchors of names that may have inserted words (insertions.py)."""
        spans: list[Span] = []
        excluded: dict[int, list[tuple[int, int]]] = {}
        anchored: _Anchored = []
        if self._automaton is None:
            return spans, excluded, anchored
        norm, original = normalised.text, normalised.original
        size = len(norm)
        entries_of = self._entries
        for index, start, match_end in self._automaton.find(norm):
            at_token_start, by_proclitic = entries_of[index]
            if at_token_start and at_token_start[0].anchor:  # " surname": after a space
                if match_end >= size or not norm[match_end].isalnum() or is_possessive(
                        text, normalised, match_end):
                    anchored.append((at_token_start[0].alias, start + 1, match_end))
                continue
            if start == 0 or not norm[start - 1].isalnum():
                entries = at_token_start
            elif by_proclitic is None:
                continue  # inside a word
            else:  # inside a word, unless what precedes it there is a proclitic ("والحشد")
                before = _token_prefix(norm, start)
                entries = by_proclitic.get(before, ()) if before is not None else ()
            if not entries:
                continue
            orig_start = original(start)
            for entry in entries:
                end = match_end
                if entry.prefix:
                    while end < size and norm[end].isalnum():
                        end += 1
                elif end < size and norm[end].isalnum() and not is_possessive(
                        text, normalised, end):
                    continue
                orig_end = original(end - 1) + 1
                if entry.exclude:
                    excluded.setdefault(entry.entity, []).append((orig_start, orig_end))
                elif not ((entry.title and title_blocked(norm, end)) or (
                        entry.guard and not guard_ok(text, orig_start, entry.guard))):
                    how = _how(text[orig_start:orig_end], entry)
                    spans.append(Span(entry.entity, orig_start, orig_end, how, entry.short,
                                      entry.alias))
        return spans, excluded, anchored

    def _scan_acronyms(self, text: str) -> Iterator[Span]:
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
                        yield Span(entry.entity, start, end, "exact", False, entry.alias)
                start = text.find(acronym, end)

    # ------------------------------------------------------------ rules

    def _evaluate_rules(self, fields: list[_Field]) -> list[list[Span]]:
        out: list[list[Span]] = [[] for _ in fields]
        if not self._rules:
            return out
        cache: dict[str, list[rq.Occurrence]] = {}
        texts = [f.text for f in fields]

        def lookup(term: rq.Term) -> list[rq.Occurrence]:
            if term.text not in cache:
                cache[term.text] = self._term_occurrences(term.text, fields)
            return cache[term.text]

        for number, (rule, node) in enumerate(self._rules):
            evidence = rq.evaluate(node, lookup, texts)
            if evidence is None:
                continue
            first = min(evidence) if evidence else rq.Occurrence(len(fields) - 1, 0, 0)
            # A rule hit is as good as the rule: "exact" (its span shows the first term).
            out[first.field].append(
                Span(-number - 1, first.start, first.end, "exact", False, rule.query))
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
        return [rq.Occurrence(i, start, end) for i, start, end in sorted(found)]


# ---------------------------------------------------------------- helpers


_new_object = object.__new__


def make_match(entity: str, kind: str, text: str, start: int, end: int, how: str = "exact",
               via: str = "") -> Match:
    """`Match(...)` for the matcher's inner loop. The frozen dataclass's `__init__` sets
    each of its 7 fields with object.__setattr__ (~1.1 µs); filling the instance dict does
    the same, and compiled here it costs ~0.3 µs (name-dense news has a match every ~100
    bytes). tests/test_matcher.py holds the two to the same result, field by field."""
    match: Match = _new_object(Match)
    fields = match.__dict__
    fields["entity"] = entity
    fields["kind"] = kind
    fields["text"] = text
    fields["start"] = start
    fields["end"] = end
    fields["how"] = how
    fields["via"] = via
    return match


def _hit(text: str, m: Match, field: str) -> Hit:
    return Hit(entity=m.entity, kind=m.kind, matched_text=m.text, start=m.start, end=m.end,
               snippet=make_snippet(text, m.start, m.end), how=m.how, field=field, via=m.via)


def _split_proclitics(by_proclitic: dict[str, list[_Entry]]
                      ) -> tuple[tuple[_Entry, ...], dict[str, tuple[_Entry, ...]] | None]:
    """An automaton key's entries as the scan wants them: (those valid at a token start,
    those valid after a proclitic, by proclitic; None when there are none)."""
    after = {p: tuple(entries) for p, entries in by_proclitic.items() if p}
    return tuple(by_proclitic.get("", ())), after or None


def _how(original: str, entry: _Entry) -> str:
    if entry.title:
        return "title"
    if entry.short:
        return "short form"
    if entry.prefix:
        return "exact" if original.startswith(entry.alias.rstrip("*")) else "normalised"
    if original == entry.alias:
        return "exact"
    return "variant" if entry.variant else "normalised"
