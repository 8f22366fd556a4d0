"""Extra name parts between a listed given name and surname.

"Hussein al-Allaq" is also written "Hussein Ali al-Allaq" (father's name), "Hussein Sayyid
Ali Allaq" (honorific), "Hussein bin Ali bin Hassan al-Allaq" (a nasab chain), and in Arabic
"حسين علي العلاق". The matcher indexes the surname of each person's alias (with and
without its article) as an *anchor* whose entry carries the words before it (the head);
at an anchor, `head_start` looks back over the text for 1 to MAX_INSERTED name-like words
and then the head. Only names that start with a known given name or a kunya are persons'
names (data/nameforms.yaml); organisations never take inserted words.

Name-like, in Latin text: a capitalised word that is not a common English word ("Hussein
Met al-Allaq" in a Title Case headline is not a name), an honorific (Sayyid, Sheikh) or a
nasab connector (bin, ibn); in Arabic: a known given name, honorific or connector, never the
preposition على (which normalises to علي, "Ali"). The words must be separated by spaces
or hyphens only: punctuation or a line break ends a name.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

from .langdata import language_data
from .names import Span
from .normalize import Normalised, normalize
from .variants import ARTICLES, ortho_key, token_keys

__all__ = ["MAX_INSERTED", "Anchored", "Anchors", "anchors", "head_key", "with_inserted_words"]

MAX_INSERTED = 3
_GAP = frozenset(" -\u00a0\u2010\u2011")  # what may separate two parts of one name
_PROCLITICS = frozenset({"و", "ف", "ب", "ك", "ل", "وب", "وك", "ول", "فب", "فك", "فل"})
_KUNYAS = frozenset({"abu", "abo", "ابو", "ابا", "ابي"})


class Anchored(NamedTuple):
    """A person's name that may have inserted words before its surname anchor."""

    entity: int
    head: tuple[str, ...]  # the normalised words before the surname
    alias: str  # as configured


def head_key(word: str) -> str:
    """What a head's last word is looked up by: its orthographic key (Latin), itself
    (Arabic)."""
    return word if "\u0600" <= word[0] <= "\u06ff" else token_keys(word)[0][1]


def candidate_names(norm: str, cased: str | None, start: int,
                    by_head: dict[str, list[Anchored]]) -> list[Anchored]:
    """The names of `by_head` (head_key of a head's last word -> names) whose head's last
    word is among the words before the anchor at normalised index `start`, from the 2nd
    name word before it, as far as inserted words and connectors may go and, in Latin text
    (`cased`: the normalised text with its capitals), only over capitalised words, in
    Arabic over known name parts. A cheap filter before the real test (head_ends,
    head_start)."""
    found: list[Anchored] = []
    pos = start - 1
    words = 0
    budget = MAX_INSERTED + 1
    data = language_data()
    connectors = data.connectors_latin
    while words <= budget and pos > 0 and norm[pos] == " ":
        begin = norm.rfind(" ", 0, pos) + 1
        word = norm[begin:pos]
        pos = begin - 1
        if not word:
            break
        if word in ARTICLES:
            continue  # the surname's own article ("al-Allaq"), or of "Abd al-Hassan"
        words += 1
        if "\u0600" <= word[0] <= "\u06ff":
            if words > 1:
                found.extend(by_head.get(word, ()))
                for cut in (1, 2):
                    if word[:cut] in _PROCLITICS:
                        found.extend(by_head.get(word[cut:], ()))
            if word not in data.given_names_arabic and word not in data.honorifics_arabic:
                if word in data.connectors_arabic:
                    budget += 1
                    continue
                break  # no name part: a head cannot lie before it
            continue
        if word in connectors:
            budget += 1
            continue
        if words > 1:
            found.extend(by_head.get(token_keys(word)[0][1], ()))
        if cased is not None and not cased[begin].isupper():
            break  # a lower-case word is no part of a name, nor before its start
    return found


def anchors(key: str) -> list[tuple[str, tuple[str, ...]]]:
    """(anchor key, head words) for a person's alias key: " " + the surname (Latin: without
    its article, which head_ends steps over), after the given name(s). Empty for anything
    else."""
    words = key.split(" ")
    if len(words) < 2 or not (words[0] in _KUNYAS or language_data().is_given_name(words[0])):
        return []
    head = tuple(words[:-2] if len(words) >= 3 and words[-2] in ARTICLES else words[:-1])
    if not head or all(w in ARTICLES for w in head):
        return []
    # The key starts with the space before the surname: the automaton never reports it
    # inside a word, and no other key (all stripped) shares it.
    return [(" " + words[-1], head)]


def head_ends(text: str, normalised: Normalised, start: int
              ) -> tuple[list[tuple[int, int]], list[int]]:
    """The tokens right before the normalised index `start` (an anchor; (start, end), nearest
    first) and the indices i of them where a head may end: tokens[:i] are 1 to
    MAX_INSERTED name parts, joined by spaces or hyphens only. Read once per anchor, as far
    as name parts go, and shared by every name with this anchor."""
    norm = normalised.text
    data = language_data()
    tokens: list[tuple[int, int]] = []
    ends: list[int] = []
    inserted = 0
    pos = start
    while True:
        at = _token_before(text, normalised, norm, pos)
        if at is None:
            break
        if pos == start and norm[at[0]:at[1]] in ARTICLES and at[0] > 0:
            pos = at[0]  # the surname's own article ("al-Allaq")
            continue
        if inserted:
            ends.append(len(tokens))
        tokens.append(at)
        pos = at[0]
        word = norm[at[0]:at[1]]
        if word in ARTICLES:
            # "Abd al-Aziz": an article belongs to an inserted compound name
            compound = _token_before(text, normalised, norm, pos)
            if compound is None or norm[compound[0]:compound[1]] not in (
                    data.compound_heads_latin):
                break
            continue
        if not _name_like(text, normalised, word, *at):
            break
        if word not in data.connectors_latin and word not in data.connectors_arabic:
            inserted += 1
            if inserted > MAX_INSERTED:
                break
    return tokens, ends


def head_start(text: str, normalised: Normalised, tokens: list[tuple[int, int]],
               ends: list[int], head: Sequence[str]) -> int | None:
    """The original offset where a name starts whose `head` ends at one of `ends` (see
    head_ends) of the `tokens` before its anchor, or None."""
    norm = normalised.text
    last = head[-1]
    for i in ends:
        at = tokens[i]
        if _word_is(norm[at[0]:at[1]], last, first=len(head) == 1):
            found = _head_before(text, normalised, norm, tokens, i, head)
            if found is not None:
                return found
    return None


def name_before(text: str, start: int) -> bool:
    """Whether a name-like word stands right before original offset `start` (joined by
    spaces or hyphens only): then a name found there may start further back."""
    k = start
    while k > 0 and text[k - 1] in _GAP:
        k -= 1
    if k == start or k == 0 or not text[k - 1].isalpha():
        return False
    end = k
    while k > 0 and (text[k - 1].isalpha() or unicodedata.category(text[k - 1]) == "Mn"):
        k -= 1
    return _name_word(text[k:end])


@functools.lru_cache(maxsize=16384)
def _name_word(written: str) -> bool:
    """`name_before` for one word as written."""
    word = normalize(written)[0]
    data = language_data()
    if "\u0600" <= word[:1] <= "\u06ff":
        return (word in data.given_names_arabic or word in data.honorifics_arabic
                or word in data.connectors_arabic)
    if word in data.connectors_latin or word in ARTICLES:  # "bin Hassan", "Abd al-Hassan"
        return True
    return written[0].isupper() and word not in data.english_words


def _token_before(text: str, normalised: Normalised, norm: str, pos: int
                  ) -> tuple[int, int] | None:
    """(start, end) of the token right before normalised index `pos`, when only spaces or
    hyphens separate them in the original text."""
    if pos < 2 or norm[pos - 1] != " " or not norm[pos - 2].isalnum():
        return None
    end = pos - 1
    begin = end
    while begin > 0 and norm[begin - 1].isalnum():
        begin -= 1
    gap = text[normalised.original(end - 1) + 1:normalised.original(pos)]
    if not gap or any(ch not in _GAP for ch in gap):
        return None  # punctuation or a line break ends a name
    return begin, end


def _word_is(word: str, want: str, first: bool) -> bool:
    """Whether a text token is a head word: the same orthographic key (not the skeleton:
    Hassan is not Hussein); an Arabic first word may carry a proclitic ("وحسين")."""
    if word == want:
        return True
    if "\u0600" <= want[0] <= "\u06ff":
        return first and word.endswith(want) and word[:-len(want)] in _PROCLITICS
    return ortho_key(word) == ortho_key(want)


def _head_before(text: str, normalised: Normalised, norm: str,
                 tokens: list[tuple[int, int]], last: int, head: Sequence[str]) -> int | None:
    """The original start of `head`, whose last word is tokens[last], or None."""
    at = last
    for i in range(len(head) - 2, -1, -1):
        at += 1
        if at >= len(tokens):  # read further back (tokens is shared: keep what is read)
            more = _token_before(text, normalised, norm, tokens[-1][0])
            if more is None:
                return None
            tokens.append(more)
        if not _word_is(norm[tokens[at][0]:tokens[at][1]], head[i], first=i == 0):
            return None
    begin, end = tokens[at]
    if head[0][0] < "\u0600" and not text[normalised.original(begin)].isupper():
        return None  # a Latin name starts with a capital
    before = tokens[at + 1] if at + 1 < len(tokens) else _token_before(
        text, normalised, norm, begin)
    if before is not None and _name_part(text, normalised, norm, *before):
        return None  # "Saddam Hussein Ali ...": the name starts further back
    offset = end - begin - len(head[0]) if norm[begin:end] != head[0] else 0
    return normalised.original(begin + offset)


def _name_part(text: str, normalised: Normalised, norm: str, begin: int, end: int) -> bool:
    """Whether the word before a head is itself part of the name (a given name or, in
    Latin text, a capitalised non-English word), not an honorific or a verb."""
    token = norm[begin:end]
    data = language_data()
    if token in data.honorifics_latin or token in data.honorifics_arabic:
        return False
    if "\u0600" <= token[0] <= "\u06ff":
        return token in data.given_names_arabic
    return _name_like(text, normalised, token, begin, end) and (
        token not in data.connectors_latin)


def _name_like(text: str, normalised: Normalised, token: str, begin: int, end: int) -> bool:
    data = language_data()
    if "\u0600" <= token[0] <= "\u06ff":
        if token not in data.given_names_arabic and token not in data.honorifics_arabic and (
                token not in data.connectors_arabic):
            return False
        written = text[normalised.original(begin):normalised.original(end - 1) + 1]
        bare = "".join(ch for ch in written if unicodedata.category(ch) != "Mn")
        return bare.replace("\u0640", "") not in data.not_names_arabic
    if token in data.connectors_latin or token in data.honorifics_latin:
        return True
    if token in data.english_words or token in ARTICLES:
        return False
    return text[normalised.original(begin)].isupper()


# surname anchor -> head_key of the word that ends a head -> the names (see Matcher)
Anchors = dict[str, dict[str, list[Anchored]]]


def with_inserted_words(text: str, normalised: Normalised, cased: str | None,
                        anchored: list[tuple[str, int, int]], names_at: Anchors,
                        spans: list[Span]) -> list[Span]:
    """Names with inserted words at the surname anchors found in a text ((anchor key,
    normalised start and end)), given the other `spans` found in it. Only names whose head
    word is among the few words before the anchor are looked at, and a name whose own full
    name ends there only when a name-like word precedes that; a name that another entity's
    name overlaps is not one ("Hussein Ali al-Allaq" when Ali al-Allaq is watched)."""
    starts: dict[tuple[int, int], int] | None = None
    norm = normalised.text
    out: list[Span] = []
    for key, start, end in anchored:
        names = candidate_names(norm, cased, start, names_at[key])
        if not names:
            continue
        if starts is None:
            starts = {(s.entity, s.end): s.start for s in spans if not s.short}
        orig_start, orig_end = normalised.original(start), normalised.original(end - 1) + 1
        tokens: list[tuple[int, int]] | None = None
        ends: list[int] = []
        for name in names:
            cover = starts.get((name.entity, orig_end), orig_start)
            if cover < orig_start and not name_before(text, cover):
                continue
            if tokens is None:
                tokens, ends = head_ends(text, normalised, start)
            begin = head_start(text, normalised, tokens, ends, name.head) if ends else None
            if begin is not None and not any(
                    s.entity != name.entity and not s.short and s.start < orig_end
                    and begin < s.end for s in spans):
                out.append(Span(name.entity, begin, orig_end, "variant", False, name.alias))
    return out
